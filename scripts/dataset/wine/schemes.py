"""Colour schemes and DPI for Wine's classic (unthemed) drawing: HKCU\\Control Panel\\Colors and LogPixels, written
as a .reg file before the programs start (Wine reads both when a process starts)."""

# name -> {Colors value name: "r g b"}; values not listed keep Wine's defaults (the standard scheme).
SCHEMES = {
    'light': {},
    'dark': {
        'ActiveBorder': '60 60 60', 'ActiveTitle': '30 60 110', 'AppWorkSpace': '40 40 40', 'Background': '20 30 40',
        'ButtonAlternateFace': '60 60 60', 'ButtonDkShadow': '10 10 10', 'ButtonFace': '45 45 48', 'ButtonHilight': '90 90 95',
        'ButtonLight': '70 70 74', 'ButtonShadow': '25 25 28', 'ButtonText': '230 230 230', 'GradientActiveTitle': '40 80 140',
        'GradientInactiveTitle': '50 50 50', 'GrayText': '130 130 130', 'Hilight': '0 100 190', 'HilightText': '255 255 255',
        'HotTrackingColor': '110 170 255', 'InactiveBorder': '50 50 50', 'InactiveTitle': '50 50 50', 'InactiveTitleText': '170 170 170',
        'InfoText': '230 230 230', 'InfoWindow': '50 50 50', 'Menu': '40 40 43', 'MenuBar': '40 40 43', 'MenuHilight': '0 100 190',
        'MenuText': '230 230 230', 'Scrollbar': '60 60 60', 'TitleText': '255 255 255', 'Window': '30 30 30', 'WindowFrame': '90 90 90',
        'WindowText': '230 230 230',
    },
    # Windows' "High Contrast Black"
    'contrast': {
        'ActiveBorder': '0 0 0', 'ActiveTitle': '0 0 255', 'AppWorkSpace': '0 0 0', 'Background': '0 0 0', 'ButtonAlternateFace': '0 0 0',
        'ButtonDkShadow': '255 255 255', 'ButtonFace': '0 0 0', 'ButtonHilight': '255 255 255', 'ButtonLight': '255 255 255',
        'ButtonShadow': '128 128 128', 'ButtonText': '255 255 255', 'GradientActiveTitle': '0 0 255', 'GradientInactiveTitle': '0 255 255',
        'GrayText': '0 255 0', 'Hilight': '0 0 255', 'HilightText': '255 255 255', 'HotTrackingColor': '255 255 0',
        'InactiveBorder': '255 255 255', 'InactiveTitle': '0 255 255', 'InactiveTitleText': '0 0 0', 'InfoText': '255 255 255',
        'InfoWindow': '0 0 0', 'Menu': '0 0 0', 'MenuBar': '0 0 0', 'MenuHilight': '128 0 128', 'MenuText': '255 255 255',
        'Scrollbar': '0 0 0', 'TitleText': '255 255 255', 'Window': '0 0 0', 'WindowFrame': '255 255 255', 'WindowText': '255 255 255',
    },
}

DEFAULT_COLORS = {  # Wine's standard scheme, written explicitly so switching back from dark restores it
    'ActiveBorder': '212 208 200', 'ActiveTitle': '10 36 106', 'AppWorkSpace': '128 128 128', 'Background': '58 110 165',
    'ButtonAlternateFace': '181 181 181', 'ButtonDkShadow': '64 64 64', 'ButtonFace': '212 208 200', 'ButtonHilight': '255 255 255',
    'ButtonLight': '212 208 200', 'ButtonShadow': '128 128 128', 'ButtonText': '0 0 0', 'GradientActiveTitle': '166 202 240',
    'GradientInactiveTitle': '192 192 192', 'GrayText': '128 128 128', 'Hilight': '10 36 106', 'HilightText': '255 255 255',
    'HotTrackingColor': '0 0 128', 'InactiveBorder': '212 208 200', 'InactiveTitle': '128 128 128', 'InactiveTitleText': '212 208 200',
    'InfoText': '0 0 0', 'InfoWindow': '255 255 225', 'Menu': '212 208 200', 'MenuBar': '212 208 200', 'MenuHilight': '10 36 106',
    'MenuText': '0 0 0', 'Scrollbar': '212 208 200', 'TitleText': '255 255 255', 'Window': '255 255 255', 'WindowFrame': '0 0 0',
    'WindowText': '0 0 0',
}

# (theme, scale) variants every program is captured in
VARIANTS = [('light', 1.0), ('dark', 1.5), ('contrast', 1.0), ('light', 1.25), ('dark', 1.0)]


def scheme_reg(theme, scale):
    colors = dict(DEFAULT_COLORS)
    colors.update(SCHEMES[theme])
    dpi = round(96 * scale)
    lines = ['REGEDIT4', '', '[HKEY_CURRENT_USER\\Control Panel\\Colors]']
    lines += [f'"{k}"="{v}"' for k, v in sorted(colors.items())]
    lines += ['', '[HKEY_CURRENT_USER\\Control Panel\\Desktop]', f'"LogPixels"=dword:{dpi:08x}',
              '', '[HKEY_CURRENT_CONFIG\\Software\\Fonts]', f'"LogPixels"=dword:{dpi:08x}',
              '', '[HKEY_CURRENT_USER\\Software\\Wine\\Explorer]', '"Desktop"="rpa"',
              '', '[HKEY_CURRENT_USER\\Software\\Wine\\Explorer\\Desktops]', '"rpa"="1920x1080"', '']
    return '\r\n'.join(lines)
