"""The programs of the "atspi" family and how each is driven. The app ids, toolkits and descriptions are also
in scripts/dataset/apps/atspi.json (with the split); test/unit/dataset-native.test.ts keeps the two in step.

Per app: cmd (argv), atspi (application name on the accessibility bus), toolkit, explore (automatic states:
notebook tabs, menu-bar menus, scrolled views), scripts (named states reached by steps), variants (themes@scales).
variants: themes@scales (default variants.DEFAULT_VARIANTS). row_controls: controls inside list rows are elements too
(walk_pure.ROW_CONTROL_ROLES). drop_flat: boxes over flat pixels (nothing drawn) and unnamed menu-bar items are
dropped at capture (the apps added in round 3 use it; the first 17 are captured as before).
Steps: ('action', role, name) does the first showing match's action; ('select_nth', role, i) selects the i-th
showing one in its parent; ('tab', name) selects a page tab;
('key', combo) sends keys with xdotool to the app's focused window; ('sleep', s); ('snap', state); ('escape',)."""

LO_ENV = {'SAL_USE_VCLPLUGIN': 'gtk3'}


def lo_args(app):  # a profile per app: two LibreOffice builds may run at once (separate displays)
    return ['--norestore', '--nologo', '--nofirststartwizard', '-env:UserInstallation=file:///tmp/rpa-atspi-' + app]

ZENITY = {'toolkit': 'gtk3', 'atspi': 'zenity'}


def _menu_dialog(path, state):
    """Open a dialog through the menu bar by AT-SPI actions: path = [menu, item, ...]."""
    steps = [('menu_path', path), ('sleep', 2.5), ('snap', state), ('explore_tabs', state + '-tab'), ('escape',),
             ('sleep', 1.0)]
    return steps


APPS = {
    'gtk3-widget-factory': {
        'toolkit': 'gtk3', 'cmd': ['gtk3-widget-factory'], 'atspi': 'gtk3-widget-factory',
        'description': 'GTK 3 widget factory: every standard GTK 3 widget on three pages',
        'explore': {'tabs': 12, 'menus': 0, 'scroll': True},
        'scripts': [
            [('action', 'radio button', 'Page 2'), ('sleep', 1), ('snap', 'page2')],
            [('action', 'radio button', 'Page 3'), ('sleep', 1), ('snap', 'page3')],
            [('action', 'radio button', 'Page 3'), ('sleep', 0.5), ('action', 'toggle button', 'Menu'),
             ('sleep', 1), ('snap', 'page3-popover'), ('escape',)],
            [('action', 'radio button', 'Page 1'), ('sleep', 0.5), ('combo', 0), ('sleep', 1),
             ('snap', 'page1-combo-open'), ('escape',)],
        ],
    },
    'gtk3-demo': {
        'toolkit': 'gtk3', 'cmd': ['gtk3-demo'], 'atspi': 'gtk3-demo',
        'description': 'GTK 3 demo browser: tree of demos, source/info notebook, demo windows',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [],
        'runs': [(d, ['gtk3-demo', '--run=' + d]) for d in (
            'builder', 'dialog', 'assistant', 'list_store', 'tree_store', 'editable_cells', 'spinbutton',
            'search_entry', 'combobox', 'infobar', 'listbox', 'sidebar')],
    },
    'mousepad': {
        'toolkit': 'gtk3', 'cmd': ['mousepad'], 'atspi': 'mousepad',
        'description': 'Mousepad text editor (GTK 3): menu bar, toolbar, tabs, preferences and find dialogs',
        'explore': {'tabs': 0, 'menus': 8, 'scroll': False},
        'scripts': [
            [('key', 'ctrl+f'), ('sleep', 1), ('snap', 'find-bar'), ('escape',)],
            [('key', 'ctrl+r'), ('sleep', 1.5), ('snap', 'replace-dialog'), ('escape',)],
            [('menu_path', ['Edit', 'Preferences...']), ('sleep', 1.5), ('snap', 'preferences'),
             ('explore_tabs', 'preferences-tab'), ('escape',)],
            [('key', 'ctrl+o'), ('sleep', 2), ('snap', 'open-dialog'), ('escape',)],
            [('key', 'ctrl+n'), ('sleep', 1), ('key', 'ctrl+n'), ('sleep', 1), ('snap', 'three-tabs')],
        ],
    },
    'gucharmap': {
        'toolkit': 'gtk3', 'cmd': ['gucharmap'], 'atspi': 'gucharmap',
        'description': 'GNOME Character Map (GTK 3): menu bar, script list, character grid, details notebook',
        'explore': {'tabs': 4, 'menus': 5, 'scroll': True},
        'scripts': [[('key', 'ctrl+f'), ('sleep', 1.5), ('snap', 'search-dialog'), ('escape',)]],
    },
    'evince': {
        'toolkit': 'gtk3', 'cmd': ['evince'], 'atspi': 'evince',
        'description': 'Evince document viewer (GTK 3 / libhandy): recent view, open dialog, menus',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [[('key', 'ctrl+o'), ('sleep', 2), ('snap', 'open-dialog'), ('escape',)]],
    },
    'file-roller': {
        'toolkit': 'gtk3', 'cmd': ['file-roller'], 'atspi': 'file-roller',
        'description': 'File Roller archive manager (GTK 3 / libhandy): empty window, new-archive and open dialogs',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [[('key', 'ctrl+n'), ('sleep', 2), ('snap', 'new-archive'), ('escape',)],
                    [('key', 'ctrl+o'), ('sleep', 2), ('snap', 'open-dialog'), ('escape',)]],
    },
    'zenity': dict(ZENITY, **{
        'cmd': ['zenity', '--question', '--text=Save changes?'],
        'description': 'Zenity dialogs (GTK 3): forms, list, question, entry, scale, calendar, progress, file',
        'variants': ['light@1', 'dark@1.25', 'highcontrast@2', 'highcontrast-inverse@1', 'dark@1'],
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [],
        'runs': [(('%s%d' % (r[1][2:], i)), r) for i, r in enumerate([
            ['zenity', '--forms', '--title=Account', '--add-entry=Name', '--add-password=Password',
             '--add-calendar=Start', '--add-combo=Team', '--combo-values=Red|Green|Blue', '--add-list=Role',
             '--list-values=Admin|User|Guest'],
            ['zenity', '--list', '--checklist', '--column=Use', '--column=Package', '--column=Size',
             'TRUE', 'gtk', '12 MB', 'FALSE', 'qt', '30 MB', 'TRUE', 'atk', '1 MB', 'FALSE', 'dbus', '2 MB'],
            ['zenity', '--list', '--radiolist', '--column=Pick', '--column=Printer', 'TRUE', 'Office',
             'FALSE', 'Lab', 'FALSE', 'Home'],
            ['zenity', '--list', '--column=Name', '--column=Modified', 'report.odt', 'today', 'budget.ods',
             'yesterday', 'notes.txt', 'last week'],
            ['zenity', '--question', '--text=Save changes to the document before closing?'],
            ['zenity', '--entry', '--text=New folder name:', '--entry-text=Untitled'],
            ['zenity', '--password', '--username'],
            ['zenity', '--scale', '--text=Volume', '--value=40'],
            ['zenity', '--calendar', '--text=Pick a date'],
            ['zenity', '--progress', '--text=Copying files', '--percentage=35'],
            ['zenity', '--file-selection'],
            ['zenity', '--color-selection', '--show-palette'],
            ['zenity', '--text-info', '--editable', '--filename=/etc/os-release'],
            ['zenity', '--warning', '--text=Disk almost full'],
        ])],
    }),
    'libreoffice-writer': {
        'toolkit': 'libreoffice', 'cmd': ['soffice', '--writer'] + lo_args('writer'), 'atspi': 'soffice', 'env': LO_ENV,
        'description': 'LibreOffice Writer (VCL gtk3 plugin): main window, menus, Character/Table/Page/Options dialogs',
        'explore': {'tabs': 0, 'menus': 3, 'scroll': False},
        'startup': 25, 'only_dialogs': True,
        'scripts': [
            _menu_dialog(['Format', 'Character...'], 'format-character'),
            _menu_dialog(['Format', 'Paragraph...'], 'format-paragraph'),
            _menu_dialog(['Format', 'Page Style...'], 'page-style'),
            _menu_dialog(['Table', 'Insert Table...'], 'insert-table'),
            _menu_dialog(['Tools', 'Options...'], 'tools-options'),
            _menu_dialog(['Tools', 'Word Count...'], 'word-count'),
            _menu_dialog(['Edit', 'Find & Replace...'], 'find-replace'),
            _menu_dialog(['Insert', 'Special Character...'], 'special-character'),
        ],
    },
    'libreoffice-calc': {
        'toolkit': 'libreoffice', 'cmd': ['soffice', '--calc'] + lo_args('calc'), 'atspi': 'soffice', 'env': LO_ENV,
        'description': 'LibreOffice Calc (VCL gtk3 plugin): main window, menus, Format Cells/Sort/Options dialogs',
        'explore': {'tabs': 0, 'menus': 3, 'scroll': False},
        'startup': 25, 'only_dialogs': True,
        'scripts': [
            _menu_dialog(['Format', 'Cells...'], 'format-cells'),
            _menu_dialog(['Data', 'Sort...'], 'sort'),
            _menu_dialog(['Sheet', 'Insert Sheet...'], 'insert-sheet'),
            _menu_dialog(['Format', 'Conditional', 'Condition...'], 'conditional'),
            _menu_dialog(['Tools', 'Options...'], 'tools-options'),
        ],
    },
    'geany': {
        'toolkit': 'gtk3', 'cmd': ['geany', '--no-msgwin', '-c', '/tmp/rpa-atspi-geany'], 'atspi': 'geany',
        'description': 'Geany editor (GTK 3): menu bar, toolbar, sidebar tabs, preferences dialog with notebooks',
        'explore': {'tabs': 4, 'menus': 9, 'scroll': False},
        'scripts': [
            [('menu_path', ['Edit', 'Preferences']), ('sleep', 1.5), ('snap', 'preferences'),
             ('explore_tabs', 'preferences-tab'), ('escape',)],
            [('key', 'ctrl+shift+f'), ('sleep', 1.5), ('snap', 'find-in-files'), ('escape',)],
        ],
    },
    'galculator': {
        'toolkit': 'gtk3', 'cmd': ['galculator'], 'atspi': 'galculator',
        'description': 'galculator (GTK 3): calculator keys, menus, preferences',
        'type_override': {'toggle': 'button'},  # its keys are GtkToggleButtons drawn and used as push buttons
        'explore': {'tabs': 0, 'menus': 5, 'scroll': False},
        'scripts': [[('key', 'ctrl+s'), ('sleep', 1), ('snap', 'scientific')],
                    [('key', 'ctrl+p'), ('sleep', 1), ('snap', 'paper')]],
    },
    'dconf-editor': {
        'toolkit': 'gtk3', 'cmd': ['dconf-editor'], 'atspi': 'dconf-editor',
        'description': 'dconf Editor (GTK 3 / libhandy): schema list, key editor',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [],
    },
    'gnome-system-monitor': {
        'toolkit': 'gtk3', 'cmd': ['gnome-system-monitor'], 'atspi': 'gnome-system-monitor',
        'description': 'GNOME System Monitor (GTK 3): process tree table with column headers, resources, file systems',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [[('action', 'radio button', 'Resources'), ('sleep', 1.5), ('snap', 'resources')],
                    [('action', 'radio button', 'File Systems'), ('sleep', 1.5), ('snap', 'file-systems')]],
    },
    'transmission-gtk': {
        'toolkit': 'gtk3', 'cmd': ['transmission-gtk'], 'atspi': 'transmission-gtk',
        'description': 'Transmission BitTorrent client (GTK 3): menus, toolbar, preferences notebook',
        'explore': {'tabs': 0, 'menus': 5, 'scroll': False},
        'scripts': [[('menu_path', ['Edit', 'Preferences']), ('sleep', 1.5), ('snap', 'preferences'),
                     ('explore_tabs', 'preferences-tab'), ('escape',)]],
    },
    'synaptic': {
        'toolkit': 'gtk3', 'cmd': ['synaptic'], 'atspi': 'synaptic',
        'description': 'Synaptic package manager (GTK 3): package tree table, filters, menus, settings dialogs',
        'explore': {'tabs': 0, 'menus': 6, 'scroll': True}, 'startup': 30, 'settle': 10,  # reads its package lists first
        'scripts': [[('menu_path', ['Settings', 'Preferences']), ('sleep', 1.5), ('snap', 'preferences'),
                     ('explore_tabs', 'preferences-tab'), ('escape',)]],
    },
    'meld': {
        'toolkit': 'gtk3', 'cmd': ['meld'], 'atspi': 'meld',
        'description': 'Meld diff viewer (GTK 3, Python): new-comparison page, file choosers, preferences',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [[('action', 'toggle button', 'Folder'), ('sleep', 1), ('snap', 'folder')],
                    [('action', 'toggle button', 'Version control'), ('sleep', 1), ('snap', 'vc')],
                    [('action', 'toggle button', 'Text Filters'), ('sleep', 1), ('snap', 'text-filters'),
                     ('escape',)],
                    [('action', 'toggle button', 'Version Filters'), ('sleep', 1), ('snap', 'version-filters'),
                     ('escape',)]],
    },
    'xfce4-settings': {
        'toolkit': 'gtk3', 'cmd': ['xfce4-appearance-settings'], 'atspi': 'xfce4-appearance-settings',
        'description': 'Xfce settings dialogs (GTK 3): appearance, mouse, keyboard, display, window manager',
        'explore': {'tabs': 5, 'menus': 0, 'scroll': True},
        'scripts': [],
        'runs': [(n, [c]) for n, c in (('appearance', 'xfce4-appearance-settings'),
                                       ('mouse', 'xfce4-mouse-settings'), ('keyboard', 'xfce4-keyboard-settings'),
                                       ('accessibility', 'xfce4-accessibility-settings'),
                                       ('mime', 'xfce4-mime-settings'))],
    },
}

# ---- added after the split was decided (round 3, issue 15 §1: list/tree rows, sliders, spin buttons, toggles,
# progress bars). All "train" (apps list field addedAfterSplit); the sha256 rule keeps deciding the first 17. ----
PULSE = ['pulseaudio', '-n', '--daemonize=no', '--exit-idle-time=-1', '--disallow-exit', '--use-pid-file=no',
         '--load=module-native-protocol-unix', '--load=module-null-sink sink_name=speakers',
         '--load=module-null-sink sink_name=headphones', '--load=module-always-sink']


def _with_pulse(prog):  # a private sound server for the program (pavucontrol shows only "connecting" without one)
    return ['bash', '-c', '%s >/dev/null 2>&1 & sleep 2; pactl load-module module-sine frequency=440 >/dev/null 2>&1; '
            'pactl load-module module-null-source source_name=mic >/dev/null 2>&1; '
            '(pacat --playback /dev/zero >/dev/null 2>&1 &); exec %s' % (' '.join(
                "'%s'" % a for a in PULSE), prog)]


def _xfconf(channel, props):
    """Shell commands that set Xfce settings (xfconf, on the session bus) before a program starts."""
    return ''.join('xfconf-query -c %s -p %s -n -t %s -s %s; ' % (channel, p, t, v) for p, t, v in props)


# the small settings-style programs rich in sliders, switches, spin buttons and rows get six variants (cheap: 10-25 s each)
MORE_VARIANTS = ['light@1', 'dark@1.25', 'highcontrast@2', 'highcontrast-inverse@1', 'dark@1', 'light@1.25']

APPS.update({
    'thunar': {
        # details view from the start: its icon view (ExoIconView) exposes no items, so those would be unlabelled
        'toolkit': 'gtk3', 'cmd': ['bash', '-c', _xfconf('thunar', [
            ('/default-view', 'string', 'ThunarDetailsView'), ('/last-view', 'string', 'ThunarDetailsView'),
            ('/last-window-width', 'int', '1000'), ('/last-window-height', 'int', '760'),
            ('/last-side-pane', 'string', 'ThunarShortcutsPane'), ('/last-separator-position', 'int', '190')]) +
            'exec thunar /usr/share/applications'],
        'atspi': 'thunar',
        'description': 'Thunar file manager (GTK 3): side pane, detailed list view of many files, menus, preferences',
        'explore': {'tabs': 0, 'menus': 6, 'scroll': True}, 'drop_flat': True,
        'scripts': [
            [('key', 'ctrl+3'), ('sleep', 1.5), ('snap', 'compact'), ('key', 'ctrl+2'), ('sleep', 1.0)],
            [('key', 'ctrl+e'), ('sleep', 1.0), ('snap', 'tree-pane'), ('key', 'ctrl+b'), ('sleep', 0.5)],
            [('menu_path', ['Edit', 'Preferences...']), ('sleep', 1.5), ('snap', 'preferences'),
             ('explore_tabs', 'preferences-tab'), ('escape',)],
        ],
    },
    'xfce4-taskmanager': {
        'toolkit': 'gtk3', 'cmd': ['xfce4-taskmanager'], 'atspi': 'xfce4-taskmanager',
        'description': 'Xfce Task Manager (GTK 3): dense process list with column headers, tool bar, CPU/memory meters',
        'drop_flat': True, 'variants': MORE_VARIANTS, 'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [],
        # every column shown, 900x760; a flat list and the process tree (tree rows), each with all processes
        'runs': [(name, ['bash', '-c', _xfconf('xfce4-taskmanager', [
            ('/window-width', 'int', '900'), ('/window-height', 'int', '760'),
            ('/interface/show-all-processes', 'bool', 'true'), ('/interface/process-tree', 'bool', tree),
            ('/interface/show-application-icons', 'bool', icons)] + [
            ('/columns/column-' + c, 'bool', 'true') for c in ('pid', 'ppid', 'state', 'vsz', 'rss', 'uid', 'cpu',
                                                               'priority')]) + 'exec xfce4-taskmanager'])
            for name, tree, icons in (('list', 'false', 'true'), ('tree', 'true', 'false'))],
    },
    'pavucontrol': {
        'toolkit': 'gtk3', 'cmd': _with_pulse('pavucontrol'), 'atspi': 'pavucontrol',
        'description': 'PulseAudio Volume Control (GTK 3) on a private null-sink server: volume sliders, mute toggles, level meters, tabs',
        'drop_flat': True, 'variants': MORE_VARIANTS, 'explore': {'tabs': 5, 'menus': 0, 'scroll': True}, 'startup': 25, 'row_controls': True,
        'scripts': [],
    },
    'xfce4-terminal-prefs': {
        'toolkit': 'gtk3', 'cmd': ['xfce4-terminal', '--preferences'], 'atspi': 'xfce4-terminal',
        'description': 'Xfce Terminal preferences (GTK 3): notebook of spin buttons, a transparency slider, check boxes, combos',
        'drop_flat': True, 'variants': MORE_VARIANTS, 'explore': {'tabs': 8, 'menus': 0, 'scroll': False},
        'scripts': [],
    },
    'gnome-tweaks': {
        'toolkit': 'gtk3', 'cmd': ['gnome-tweaks'], 'atspi': 'gnome-tweaks',
        'description': 'GNOME Tweaks (GTK 3 / libhandy, Python): sidebar list, switches, scales, combos',
        'drop_flat': True, 'variants': MORE_VARIANTS, 'explore': {'tabs': 0, 'menus': 0, 'scroll': True}, 'startup': 25, 'row_controls': True,
        'scripts': [[('select_nth', 'list item', i), ('sleep', 1.5), ('snap', 'page%d' % i)] for i in range(1, 9)],
    },
    'bleachbit': {
        'toolkit': 'gtk3', 'cmd': ['bleachbit'], 'atspi': 'bleachbit', 'startup': 25,
        'description': 'BleachBit (GTK 3, Python): tree of cleaners with check-box cells, preferences notebook with lists',
        'variants': MORE_VARIANTS, 'explore': {'tabs': 0, 'menus': 0, 'scroll': True}, 'drop_flat': True,
        'scripts': [[('key', 'ctrl+p'), ('sleep', 2), ('snap', 'preferences'), ('explore_tabs', 'preferences-tab'),
                     ('escape',)]],
    },
    'd-feet': {
        'toolkit': 'gtk3', 'cmd': ['d-feet'], 'atspi': 'd-feet', 'startup': 25,
        'description': 'D-Feet D-Bus debugger (GTK 3, Python): bus-name list, object tree of interfaces and methods',
        'variants': MORE_VARIANTS, 'explore': {'tabs': 4, 'menus': 0, 'scroll': True}, 'drop_flat': True,
        'scripts': [[('select_nth', 'list item', i), ('sleep', 2.5), ('snap', 'objects%d' % i)] for i in (2, 3)],
    },
})
# Dropped after looking at their overlays: FileZilla (wxWidgets' generic tree and list controls expose no
# accessibles: its folder tree and file lists would be unlabelled), xfce4-power-manager-settings (without upower on
# the bus it shows only an error dialog), xfwm4-settings / xfwm4-tweaks-settings (no accessible window without xfwm4).

# ---- the FRESH held-out set (2026-12-07, docs/DATASET.md "Fresh held-out set"): programs no training round and no
# decision has used. "split": "fresh" in apps/atspi.json: never trained on, never validated on, evaluated held-out-like;
# harvested by `npm run dataset:fresh` into $RPA_DATA_DIR/fresh-apps/atspi (never under real-apps). ----
APPS.update({
    'pluma': {
        'toolkit': 'gtk3', 'cmd': ['pluma'], 'atspi': 'pluma', 'drop_flat': True,
        'description': 'Pluma text editor (GTK 3, MATE): menu bar, toolbar, preferences notebook, find/replace dialogs',
        'explore': {'tabs': 0, 'menus': 7, 'scroll': False},
        'scripts': [
            [('menu_path', ['Edit', 'Preferences']), ('sleep', 1.5), ('snap', 'preferences'),
             ('explore_tabs', 'preferences-tab'), ('escape',)],
            [('key', 'ctrl+f'), ('sleep', 1.5), ('snap', 'find'), ('escape',)],
            [('key', 'ctrl+h'), ('sleep', 1.5), ('snap', 'replace'), ('escape',)],
        ],
    },
    'gnome-nettool': {
        'toolkit': 'gtk3', 'cmd': ['gnome-nettool'], 'atspi': 'gnome-nettool', 'drop_flat': True,
        'description': 'GNOME Nettool (GTK 3): notebook of eight network tools with entries, spin buttons, radios, result lists',
        'explore': {'tabs': 8, 'menus': 3, 'scroll': False},
        'scripts': [],
    },
    'gtkterm': {
        'toolkit': 'gtk3', 'cmd': ['gtkterm'], 'atspi': 'gtkterm', 'drop_flat': True,
        'description': 'GTKTerm serial terminal (GTK 3): menu bar, port configuration dialog of drop-downs and spin buttons',
        'explore': {'tabs': 0, 'menus': 6, 'scroll': False},
        'scripts': [
            [('menu_path', ['Configuration', 'Port']), ('sleep', 1.5), ('snap', 'port'), ('escape',)],
            [('menu_path', ['Configuration', 'Main window']), ('sleep', 1.5), ('snap', 'main-window'), ('escape',)],
        ],
    },
    'xfce4-dict': {
        'toolkit': 'gtk3', 'cmd': ['xfce4-dict'], 'atspi': 'xfce4-dict', 'drop_flat': True,
        'description': 'Xfce Dictionary (GTK 3): search drop-down, method radios, buttons, menus',
        'explore': {'tabs': 0, 'menus': 3, 'scroll': False},
        'scripts': [[('menu_path', ['Edit', 'Preferences']), ('sleep', 1.5), ('snap', 'preferences'),
                     ('explore_tabs', 'preferences-tab'), ('escape',)]],
    },
    'ristretto': {
        # no folder: with one, its thumbnail bar (no accessibles: unlabelled items) and a "no thumbnailer" dialog showed
        'toolkit': 'gtk3', 'cmd': ['ristretto'], 'atspi': 'ristretto', 'drop_flat': True,
        'description': 'Ristretto image viewer (GTK 3): menus, tool bar of icon buttons, preferences notebook',
        'explore': {'tabs': 0, 'menus': 5, 'scroll': False},
        'scripts': [[('menu_path', ['Edit', 'Preferences']), ('sleep', 1.5), ('snap', 'preferences'),
                     ('explore_tabs', 'preferences-tab'), ('escape',)]],
    },
    'gpick': {
        'toolkit': 'gtk3', 'cmd': ['gpick'], 'atspi': 'gpick', 'drop_flat': True,
        'description': 'Gpick colour picker (GTK 3): notebook tabs, colour-space expander toggles, palette list headers, menus',
        'explore': {'tabs': 4, 'menus': 5, 'scroll': False},
        'scripts': [],
    },
    'catfish': {
        'toolkit': 'gtk3', 'cmd': ['catfish', '--path=/usr/share/applications'], 'atspi': 'catfish', 'drop_flat': True,
        'startup': 25, 'description': 'Catfish file search (GTK 3, Python): search entry, location drop-down, sidebar of file-type and date filter rows',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [],
    },
    'simple-scan': {
        'toolkit': 'gtk3', 'cmd': ['simple-scan'], 'atspi': 'simple-scan', 'drop_flat': True,
        'description': 'Document Scanner (GTK 3 / libhandy): header bar, searching-for-scanners page, preferences dialog',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [[('key', 'ctrl+comma'), ('sleep', 1.5), ('snap', 'preferences'), ('escape',)]],
    },
    'seahorse': {
        'toolkit': 'gtk3', 'cmd': ['seahorse'], 'atspi': 'seahorse', 'drop_flat': True,
        'description': 'Passwords and Keys (GTK 3 / libhandy): header bar of icon buttons and toggles, an empty collection page',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [],
    },
    'xfce4-appfinder': {
        # the pointer parked in a corner first: at the centre it hovered a row and a tooltip covered three rows
        'toolkit': 'gtk3', 'cmd': ['bash', '-c', 'xdotool mousemove 1910 1070; exec xfce4-appfinder'],
        'atspi': 'xfce4-appfinder', 'drop_flat': True,
        'description': 'Xfce Application Finder (GTK 3): search entry, list of two-line application rows, buttons',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': True},
        'scripts': [],
    },
})


def _own_config(app, argv):
    """Start from an empty config/data/cache folder of the program's own every time: a program's first start differs
    from later ones (gtkterm shows a "configuration file created" message box once), so without it a rebuild on a
    used machine gave other screens than the first build (seen: gtkterm lost 18 boxes on the second run)."""
    return ['bash', '-c', 'rm -rf "$0"; mkdir -p "$0"; export XDG_CONFIG_HOME="$0/config" XDG_DATA_HOME="$0/data" '
            'XDG_CACHE_HOME="$0/cache"; exec "$@"', '/tmp/rpa-atspi-fresh-' + app] + argv


FRESH_APPS = ('pluma', 'gnome-nettool', 'gtkterm', 'xfce4-dict', 'ristretto', 'gpick', 'catfish', 'xfce4-appfinder',
              'seahorse', 'simple-scan')
for _app in FRESH_APPS:
    APPS[_app]['cmd'] = _own_config(_app, APPS[_app]['cmd'])
# Dropped after a first look: xfburn (without a drive it shows only a "No burners" dialog); GTK 4 candidates
# (gnome-font-viewer, gnome-logs, ghex) for the reason above.

from .apps_round7 import APPS_ROUND7, APPS_ROUND7B  # round 7 (2026-12-07): training programs, batch split
APPS.update(APPS_ROUND7)
APPS.update(APPS_ROUND7B)
