"""Programs added to the "atspi" family in round 7 (2026-12-07, issue 15 §1: more TRAINING applications). Split by the
sha256 rule among the apps of this batch (apps list field `splitBatch`, scripts/dataset/lib/split.mjs): no earlier
application moves, and some of these land held-out, as the rule says. Same conventions as the round-3 apps in
apps.py: `drop_flat` (boxes over flat pixels dropped at capture), `row_controls` where rows hold controls, each start
from an empty config/data/cache folder of its own (a first start differs from later ones).

Chosen for the weak types on held-out apps: radio and toggle buttons, check boxes, list rows, tree rows, sliders,
progress bars, spin buttons, text inputs (docs/DATASET.md)."""


def own_config(app, argv):
    """An empty XDG config/data/cache folder per start (the fresh set's rule in apps.py, here for the round-7 apps)."""
    return ['bash', '-c', 'rm -rf "$0"; mkdir -p "$0"; export XDG_CONFIG_HOME="$0/config" XDG_DATA_HOME="$0/data" '
            'XDG_CACHE_HOME="$0/cache" HOME="$0"; cd "$0"; exec "$@"', '/tmp/rpa-atspi-r7-' + app] + argv


def _fed(text, argv):
    """Start argv with `text` on its stdin and the pipe held open (yad's progress dialogs read their values there)."""
    return ['bash', '-c', '(printf "%s" "$0"; sleep 600) | exec "$@"', text] + argv


YAD_RUNS = [
    ('form', ['yad', '--form', '--title=Connection', '--width=460', '--field=Server', '--field=Port:NUM',
              '--field=Password:H', '--field=Protocol:CB', '--field=Timeout (s):SCL', '--field=Use TLS:CHK',
              '--field=Verify certificate:CHK', '--field=Remember me:CHK', '--field=Download folder:DIR',
              '--field=Notes:TXT', 'mail.example.org', '993!1..65535!1', 'secret', 'IMAP!^POP3!SMTP', '30', 'TRUE',
              'FALSE', 'TRUE', '/tmp', 'Read-only account']),
    ('form2', ['yad', '--form', '--title=Page setup', '--columns=2', '--field=Copies:NUM', '--field=Pages',
               '--field=Orientation:CB', '--field=Paper:CBE', '--field=Collate:CHK', '--field=Duplex:CHK',
               '--field=Colour:CHK', '--field=Scale (%):SCL', '--field=Font:FN', '--field=Preview:BTN',
               '2!1..99!1', '1-4', '^Portrait!Landscape', 'A4!Letter!Legal', 'TRUE', 'FALSE', 'TRUE', '80',
               'Sans 10', 'true']),
    ('checklist', ['yad', '--list', '--checklist', '--title=Components', '--width=520', '--height=420',
                   '--column=Install:CHK', '--column=Component', '--column=Size', '--column=Version',
                   'TRUE', 'Core files', '12 MB', '2.4.1', 'TRUE', 'Documentation', '8 MB', '2.4.1',
                   'FALSE', 'Examples', '3 MB', '2.4.0', 'TRUE', 'Language packs', '40 MB', '2.3.9',
                   'FALSE', 'Development headers', '2 MB', '2.4.1', 'FALSE', 'Debug symbols', '90 MB', '2.4.1',
                   'TRUE', 'Desktop shortcuts', '1 KB', '1.0', 'FALSE', 'Command-line tools', '5 MB', '2.4.1']),
    ('radiolist', ['yad', '--list', '--radiolist', '--title=Printer', '--width=460', '--height=320',
                   '--column=Use:RD', '--column=Printer', '--column=Location', '--column=Status',
                   'FALSE', 'Office laser', 'Room 101', 'Ready', 'TRUE', 'Colour inkjet', 'Lab', 'Ready',
                   'FALSE', 'Plotter', 'Basement', 'Offline', 'FALSE', 'PDF writer', 'Local', 'Ready',
                   'FALSE', 'Label printer', 'Shipping', 'Paper out']),
    ('list', ['yad', '--list', '--title=Recent files', '--width=520', '--height=440', '--column=Name',
              '--column=Folder', '--column=Size:NUM', '--column=Modified'] + [
        x for i in range(16) for x in ('%s-%02d.%s' % (('report', 'invoice', 'photo', 'notes')[i % 4], i,
                                                      ('odt', 'pdf', 'jpg', 'txt')[i % 4]),
                                      ('Documents', 'Downloads', 'Pictures', 'Desktop')[i % 4], str(1000 + i * 377),
                                      '2026-11-%02d' % (1 + i))]),
    ('multi-progress', _fed('1:35\n2:80\n3:10\n', [
        'yad', '--multi-progress', '--title=Transfers', '--width=460', '--bar=Download:NORM',
        '--bar=Unpack:NORM', '--bar=Install:NORM', '--bar=Waiting:PULSE'])),
    ('multi-progress2', _fed('1:12\n2:47\n3:66\n4:90\n5:100\n6:3\n', [
        'yad', '--multi-progress', '--title=Backup', '--width=520', '--text=Backing up 6 folders', '--bar=Documents:NORM',
        '--bar=Pictures:NORM', '--bar=Music:RTL', '--bar=Mail:NORM', '--bar=Settings:NORM', '--bar=Videos:NORM',
        '--button=Pause:1', '--button=Cancel:2'])),
    ('progress', _fed('38\n#Copying report.odt (38 %)\n', [
        'yad', '--progress', '--title=Copying', '--text=Copying 120 files to Backup', '--width=420',
        '--enable-log=Details', '--log-expanded'])),
    ('form3', ['yad', '--form', '--title=New user', '--width=480', '--field=Full name', '--field=User name',
               '--field=Home folder:RO', '--field=Shell:CB', '--field=Quota (GB):NUM', '--field=Priority:SCL',
               '--field=Administrator:CHK', '--field=Locked:CHK', '--field=Expires:CHK', '--field=Must change password:CHK',
               '--field=Comment', 'Ada Lovelace', 'ada', '/home/ada', '/bin/bash!/bin/zsh!/bin/sh', '20!1..500!5', '60',
               'FALSE', 'FALSE', 'TRUE', 'TRUE', 'Analytical engine team']),
    ('scale', ['yad', '--scale', '--title=Brightness', '--text=Screen brightness', '--value=65', '--min-value=0',
               '--max-value=100', '--mark=Low:10', '--mark=High:90', '--inc-buttons']),
    ('entry', ['yad', '--entry', '--title=Search', '--text=Find in folder:', '--editable', 'Reports', 'Letters',
               'Pictures']),
    ('font', ['yad', '--font', '--title=Choose a font', '--fontname=Sans 12']),
    ('buttons', ['yad', '--title=Unsaved changes', '--text=Save the changes to the document before closing?',
                 '--image=dialog-question', '--button=Close without saving:1', '--button=Cancel:2',
                 '--button=Save As...:3', '--button=Save:0']),
]

SIX = ['light@1', 'dark@1.25', 'highcontrast@2', 'highcontrast-inverse@1', 'dark@1', 'light@1.25']

APPS_ROUND7 = {
    'yad': {
        'toolkit': 'gtk3', 'cmd': ['yad'], 'atspi': 'yad', 'drop_flat': True, 'variants': SIX,
        'description': 'YAD dialogs (GTK 3): three forms (spin buttons, sliders, check boxes, combos, text and '
                       'read-only fields); check and radio lists, a file list, eleven progress bars over three '
                       'dialogs, scale, font chooser',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False}, 'scripts': [],
        'runs': YAD_RUNS,
    },
    'xfce4-screenshooter': {
        'toolkit': 'gtk3', 'cmd': own_config('xfce4-screenshooter', ['xfce4-screenshooter']),
        'atspi': 'xfce4-screenshooter', 'drop_flat': True, 'variants': SIX,
        'description': 'Xfce Screenshot dialog (GTK 3): region radios, check boxes, a delay spin button',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False}, 'scripts': [],
    },
    'xfce4-notifyd-config': {
        'toolkit': 'gtk3', 'cmd': own_config('xfce4-notifyd-config', ['xfce4-notifyd-config']),
        'atspi': 'xfce4-notifyd-config', 'drop_flat': True, 'variants': SIX, 'row_controls': True,
        'description': 'Xfce Notification settings (GTK 3): notebook of switches, an opacity slider, spin buttons, '
                       'combos, application rows',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},  # a stack switcher of radio buttons, not a notebook
        'scripts': [[('action', 'radio button', 'Applications'), ('sleep', 1.5), ('snap', 'applications')],
                    [('action', 'radio button', 'Log'), ('sleep', 1.5), ('snap', 'log')]],
    },
    'gnome-screenshot': {
        'toolkit': 'gtk3', 'cmd': own_config('gnome-screenshot', ['gnome-screenshot', '--interactive']),
        'atspi': 'gnome-screenshot', 'drop_flat': True, 'variants': SIX, 'row_controls': True,  # a switch, a spin in rows
        'description': 'GNOME Screenshot interactive dialog (GTK 3 / libhandy): capture-area radio toggles, switches, '
                       'a delay spin button',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False}, 'scripts': [],
    },
    'alacarte': {
        'toolkit': 'gtk3', 'cmd': own_config('alacarte', ['alacarte']), 'atspi': 'alacarte', 'drop_flat': True, 'variants': SIX,
        'startup': 25, 'description': 'Alacarte menu editor (GTK 3, Python): tree of menus, item list with '
                                     'check-box cells, buttons',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [[('select_nth', 'table cell', i), ('sleep', 1.5), ('snap', 'menu%d' % i)] for i in (2, 6)],
    },
    'accerciser': {
        'toolkit': 'gtk3', 'cmd': own_config('accerciser', ['accerciser']), 'atspi': 'accerciser', 'drop_flat': True,
        'startup': 30, 'settle': 8, 'description': 'Accerciser accessibility explorer (GTK 3, Python): tree of accessibles, '
                                     'plugin notebooks, menus',
        'explore': {'tabs': 6, 'menus': 5, 'scroll': True}, 'scripts': [],
    },
    'deluge-gtk': {
        'toolkit': 'gtk3', 'cmd': own_config('deluge-gtk', ['deluge-gtk']), 'atspi': 'deluge-gtk', 'drop_flat': True,
        'startup': 30, 'description': 'Deluge BitTorrent client (GTK 3, Python): torrent list headers, sidebar '
                                     'tree, details notebook, preferences with many pages',
        'explore': {'tabs': 7, 'menus': 5, 'scroll': False},
        'scripts': [[('menu_path', ['Edit', 'Preferences']), ('sleep', 2.5), ('snap', 'preferences'), ('escape',)]],
    },
    'gnumeric': {
        'toolkit': 'gtk3', 'cmd': own_config('gnumeric', ['gnumeric']), 'atspi': 'gnumeric', 'drop_flat': True,
        'startup': 30, 'only_dialogs': True,
        'description': 'Gnumeric spreadsheet (GTK 3) dialogs: Format Cells notebook, Sort, Preferences tree, Goal Seek',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [
            [('key', 'ctrl+1'), ('sleep', 2.5), ('snap', 'format-cells'), ('explore_tabs', 'format-cells-tab'),
             ('escape',)],
            [('menu_path', ['Edit', 'Preferences...']), ('sleep', 2.5), ('snap', 'preferences'), ('escape',)],
            [('menu_path', ['Data', 'Sort...']), ('sleep', 2.5), ('snap', 'sort'), ('escape',)],
            [('menu_path', ['Tools', 'Goal Seek...']), ('sleep', 2.5), ('snap', 'goal-seek'), ('escape',)],
        ],
    },
    'grsync': {
        'toolkit': 'gtk3', 'cmd': own_config('grsync', ['grsync']), 'atspi': 'grsync', 'drop_flat': True, 'variants': SIX,
        'description': 'Grsync rsync front end (GTK 3): notebook pages of many check boxes, entries, menus',
        'explore': {'tabs': 4, 'menus': 5, 'scroll': False}, 'scripts': [],
    },
    'gtkhash': {
        'toolkit': 'gtk3', 'cmd': own_config('gtkhash', ['gtkhash']), 'atspi': 'gtkhash', 'drop_flat': True, 'variants': SIX,
        'description': 'GtkHash (GTK 3): file/text/file-list views, hash function check boxes, progress bar, menus',
        'explore': {'tabs': 0, 'menus': 4, 'scroll': False},
        'scripts': [[('menu_path', ['Edit', 'Preferences']), ('sleep', 2), ('snap', 'preferences'), ('escape',)]],
    },
    'xarchiver': {
        'toolkit': 'gtk3', 'cmd': own_config('xarchiver', ['xarchiver']), 'atspi': 'xarchiver', 'drop_flat': True,
        'description': 'Xarchiver (GTK 3): menus, tool bar, preferences notebook of check boxes and combos',
        'explore': {'tabs': 0, 'menus': 4, 'scroll': False},
        'scripts': [[('menu_path', ['Action', 'Preferences']), ('sleep', 2), ('snap', 'preferences'),
                     ('explore_tabs', 'preferences-tab'), ('escape',)]],
    },
    'mate-calc': {
        'toolkit': 'gtk3', 'cmd': own_config('mate-calc', ['mate-calc']), 'atspi': 'mate-calc', 'drop_flat': True,
        'description': 'MATE Calculator (GTK 3): basic, advanced, financial and programming keypads, menus',
        'explore': {'tabs': 0, 'menus': 3, 'scroll': False},
        # the Mode menu's radio items (its Ctrl+A/F/P shortcuts did not reach the window without a window manager)
        'scripts': [[('menu_path', ['Mode', m]), ('sleep', 1.5), ('snap', m.lower())]
                    for m in ('Advanced', 'Financial', 'Programming')],
    },
    'homebank': {
        # a first start shows a welcome window over the main window (kept as drawn in `main`); closed before the menus
        'toolkit': 'gtk3', 'cmd': own_config('homebank', ['homebank']), 'atspi': 'homebank', 'drop_flat': True,
        'startup': 20, 'description': 'HomeBank finance manager (GTK 3): menus, tool bar, account and scheduled lists '
                                     'with column headers, a welcome window, preferences',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [[('action', 'push button', 'Close'), ('sleep', 1.5), ('snap', 'accounts')] + [
            x for m in ('Edit', 'View', 'Manage', 'Transactions', 'Reports') for x in (
                ('menu_path', [m]), ('sleep', 1.0), ('snap', 'menu-' + m.lower()), ('escape',))],
                    [('menu_path', ['Edit', 'Preferences']), ('sleep', 2), ('snap', 'preferences'), ('escape',)]],
    },
    'lightdm-gtk-greeter-settings': {
        'toolkit': 'gtk3', 'cmd': own_config('lightdm-gtk-greeter-settings', ['lightdm-gtk-greeter-settings']),
        'atspi': 'lightdm-gtk-greeter-settings', 'drop_flat': True, 'variants': SIX,
        'description': 'LightDM GTK greeter settings (GTK 3, Python): notebook of radios, check boxes, combos, '
                       'spin buttons, an indicator list',
        'explore': {'tabs': 5, 'menus': 0, 'scroll': False}, 'scripts': [],
    },
    'parole': {
        'toolkit': 'gtk3', 'cmd': own_config('parole', ['parole']), 'atspi': 'parole', 'drop_flat': True,
        'description': 'Parole media player (GTK 3): menus, playback controls, preferences notebook',
        'explore': {'tabs': 0, 'menus': 5, 'scroll': False},
        'scripts': [[('menu_path', ['Tools', 'Preferences']), ('sleep', 2), ('snap', 'preferences'),
                     ('explore_tabs', 'preferences-tab'), ('escape',)]],
    },
}

# A second, smaller batch the same day (split by the rule among its own apps: apps list "splitBatch": "2026-12-07b"),
# for more radio buttons, check-box rows and list rows; the first batch's split did not move.
APPS_ROUND7B = {
    'xfce4-session-settings': {
        'toolkit': 'gtk3', 'cmd': own_config('xfce4-session-settings', ['xfce4-session-settings']),
        'atspi': 'xfce4-session-settings', 'drop_flat': True, 'variants': SIX, 'row_controls': True,
        'description': 'Xfce Session and Startup (GTK 3): notebook of check boxes, an autostart list with check-box '
                       'cells, radios',
        'explore': {'tabs': 5, 'menus': 0, 'scroll': True}, 'scripts': [],
    },
    'galternatives': {
        'toolkit': 'gtk3', 'cmd': own_config('galternatives', ['galternatives']), 'atspi': 'galternatives',
        'drop_flat': True, 'startup': 25,
        'description': 'G Alternatives (GTK 3, Python): list of alternative groups with a column header, tool bar, '
                       'an auto switch, menus',
        'explore': {'tabs': 0, 'menus': 3, 'scroll': True}, 'scripts': [],  # its rows could not be selected (no cells)
    },
    'xfce4-clipman-settings': {
        'toolkit': 'gtk3', 'cmd': own_config('xfce4-clipman-settings', ['xfce4-clipman-settings']),
        'atspi': 'xfce4-clipman-settings', 'drop_flat': True, 'variants': SIX, 'row_controls': True,
        'description': 'Xfce Clipman settings (GTK 3): notebook of switches and check boxes, a history-size spin '
                       'button, an actions list',
        'explore': {'tabs': 4, 'menus': 0, 'scroll': False}, 'scripts': [],
    },
    'claws-mail': {
        'toolkit': 'gtk3', 'cmd': own_config('claws-mail', ['claws-mail']), 'atspi': 'claws-mail', 'drop_flat': True,
        'startup': 25, 'description': 'Claws Mail (GTK 3) first-start account wizard: pages of entries, radios, '
                                     'check boxes, drop-downs',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [[x for i in (2, 3, 4, 5) for x in (('action', 'push button', 'Next'), ('sleep', 1.5),
                                                        ('snap', 'page%d' % i))]],
    },
    'remmina': {
        'toolkit': 'gtk3', 'cmd': own_config('remmina', ['remmina']), 'atspi': 'remmina', 'drop_flat': True,
        'startup': 25, 'description': 'Remmina remote desktop client (GTK 3): connection list, header bar, '
                                     'preferences notebook of check boxes, spin buttons, drop-downs',
        'explore': {'tabs': 8, 'menus': 0, 'scroll': False}, 'scripts': [],
        'runs': [('main', own_config('remmina', ['remmina'])), ('preferences', own_config('remmina', ['remmina', '-p', '0']))],
    },
    'gigolo': {
        'toolkit': 'gtk3', 'cmd': own_config('gigolo', ['gigolo']), 'atspi': 'gigolo', 'drop_flat': True,
        'description': 'Gigolo (GTK 3): menus, tool bar of icon buttons and a toggle, an empty connection view',
        'explore': {'tabs': 0, 'menus': 5, 'scroll': False}, 'scripts': [],  # Preferences showed no accessible window
    },
}
