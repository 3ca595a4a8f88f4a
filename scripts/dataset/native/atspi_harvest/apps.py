"""The programs of the "atspi" family and how each is driven. The app ids, toolkits and descriptions are also
in scripts/dataset/apps/atspi.json (with the split); test/unit/dataset-native.test.ts keeps the two in step.

Per app: cmd (argv), atspi (application name on the accessibility bus), toolkit, explore (automatic states:
notebook tabs, menu-bar menus, scrolled views), scripts (named states reached by steps), variants (themes@scales).
Steps: ('action', role, name) does the first showing match's action; ('tab', name) selects a page tab;
('key', combo) sends keys with xdotool to the app's focused window; ('sleep', s); ('snap', state); ('escape',)."""

LO_PROFILE = 'file:///tmp/rpa-atspi-lo-profile'

LO_ENV = {'SAL_USE_VCLPLUGIN': 'gtk3'}
LO_ARGS = ['--norestore', '--nologo', '--nofirststartwizard', '-env:UserInstallation=' + LO_PROFILE]

ZENITY = {'toolkit': 'gtk3', 'atspi': 'zenity'}


def _menu_dialog(path, state):
    """Open a dialog through the menu bar by AT-SPI actions: path = [menu, item, ...]."""
    steps = [('menu_path', path), ('sleep', 2.5), ('snap', state), ('escape',), ('sleep', 1.0)]
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
        'explore': {'tabs': 4, 'menus': 0, 'scroll': True},
        'scripts': [],
        'runs': [(d, ['gtk3-demo', '--run=' + d]) for d in (
            'builder', 'dialog', 'assistant', 'list_store', 'tree_store', 'editable_cells', 'spinbutton',
            'sizegroup', 'search_entry', 'combobox', 'menus', 'expander', 'infobar', 'flowbox', 'listbox',
            'sidebar', 'stack', 'revealer', 'textview')],
    },
    'gtk4-widget-factory': {
        'toolkit': 'gtk4', 'cmd': ['gtk4-widget-factory'], 'atspi': 'gtk4-widget-factory',
        'description': 'GTK 4 widget factory: every standard GTK 4 widget on three pages',
        'explore': {'tabs': 12, 'menus': 0, 'scroll': False},
        'scripts': [
            [('action', 'radio button', 'Page 2'), ('sleep', 1), ('snap', 'page2')],
            [('action', 'radio button', 'Page 3'), ('sleep', 1), ('snap', 'page3')],
        ],
    },
    'gtk4-demo': {
        'toolkit': 'gtk4', 'cmd': ['gtk4-demo'], 'atspi': 'gtk4-demo',
        'description': 'GTK 4 demo browser and a few demo windows',
        'explore': {'tabs': 4, 'menus': 0, 'scroll': True},
        'scripts': [],
        'runs': [(d, ['gtk4-demo', '--run=' + d]) for d in ('dialog', 'assistant', 'listbox', 'spinbutton',
                                                         'sizegroup', 'expander', 'infobar', 'builder')],
    },
    'gnome-calculator': {
        'toolkit': 'gtk4', 'cmd': ['gnome-calculator'], 'atspi': 'gnome-calculator',
        'description': 'GNOME Calculator (GTK 4 / libadwaita): basic, advanced, financial, programming modes',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [],
        'runs': [(m, ['gnome-calculator', '--mode=' + m]) for m in ('basic', 'advanced', 'financial', 'programming')],
    },
    'baobab': {
        'toolkit': 'gtk4', 'cmd': ['baobab'], 'atspi': 'baobab',
        'description': 'Disk Usage Analyzer (GTK 4 / libadwaita): device list, header bar',
        'explore': {'tabs': 0, 'menus': 0, 'scroll': False},
        'scripts': [],
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
        'toolkit': 'libreoffice', 'cmd': ['soffice', '--writer'] + LO_ARGS, 'atspi': 'soffice', 'env': LO_ENV,
        'description': 'LibreOffice Writer (VCL gtk3 plugin): main window, menus, Character/Table/Page/Options dialogs',
        'explore': {'tabs': 0, 'menus': 11, 'scroll': False},
        'startup': 25,
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
        'toolkit': 'libreoffice', 'cmd': ['soffice', '--calc'] + LO_ARGS, 'atspi': 'soffice', 'env': LO_ENV,
        'description': 'LibreOffice Calc (VCL gtk3 plugin): main window, menus, Format Cells/Sort/Options dialogs',
        'explore': {'tabs': 0, 'menus': 11, 'scroll': False},
        'startup': 25,
        'scripts': [
            _menu_dialog(['Format', 'Cells...'], 'format-cells'),
            _menu_dialog(['Data', 'Sort...'], 'sort'),
            _menu_dialog(['Sheet', 'Insert Sheet...'], 'insert-sheet'),
            _menu_dialog(['Format', 'Conditional', 'Condition...'], 'conditional'),
            _menu_dialog(['Tools', 'Options...'], 'tools-options'),
        ],
    },
}
