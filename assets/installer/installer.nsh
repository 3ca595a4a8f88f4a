; NSIS include for electron-builder.yml (nsis.include). Runs inside the per-machine installer.
; 1) The trust file is installed read-only for users: only Administrators and SYSTEM may change it
;    (DESIGN.md "Trust rules": trusted keys come from the installed trust file, never the wire).
; 2) The tray app starts at logon for every user (HKLM Run key), and the key is removed on uninstall.
; SIDs are used instead of group names so localised Windows works: S-1-5-32-544 Administrators,
; S-1-5-18 SYSTEM, S-1-5-32-545 Users.

!macro customInstall
  nsExec::ExecToLog 'icacls "$INSTDIR\resources\trust" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX'
  nsExec::ExecToLog 'icacls "$INSTDIR\resources\trust\trust.json" /inheritance:r /grant:r *S-1-5-32-544:F *S-1-5-18:F *S-1-5-32-545:R'
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "RPA Edge Agent" '"$INSTDIR\rpa-edge-agent.exe" --hidden'
!macroend

!macro customUnInstall
  DeleteRegValue HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "RPA Edge Agent"
!macroend
