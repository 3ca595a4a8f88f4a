"""Themes and scales a program is captured under. Each variant: name, theme (sample field), scale (sample field),
env (added to the program's environment) and factor (AT-SPI coordinates -> screen pixels)."""

THEMES = {
    'light': {'GTK_THEME': 'Adwaita', 'ADW_DEBUG_COLOR_SCHEME': 'prefer-light'},
    'dark': {'GTK_THEME': 'Adwaita:dark', 'ADW_DEBUG_COLOR_SCHEME': 'prefer-dark'},
    'highcontrast': {'GTK_THEME': 'HighContrast', 'ADW_DEBUG_HIGH_CONTRAST': '1'},
    'highcontrast-inverse': {'GTK_THEME': 'HighContrastInverse', 'ADW_DEBUG_HIGH_CONTRAST': '1',
                             'ADW_DEBUG_COLOR_SCHEME': 'prefer-dark'},
}

# scale 1.25: fonts grow (GDK_DPI_SCALE), coordinates stay device pixels. scale 2: GDK_SCALE=2 doubles
# everything; GTK reports AT-SPI extents in logical (unscaled) pixels, so they are multiplied by 2
# (checked against the pixels: see README.md).
SCALES = {
    '1': {'env': {}, 'scale': 1, 'factor': 1},
    '1.25': {'env': {'GDK_DPI_SCALE': '1.25', 'SAL_FORCEDPI': '120'}, 'scale': 1.25, 'factor': 1},
    '2': {'env': {'GDK_SCALE': '2'}, 'scale': 2, 'factor': 2},
}

DEFAULT_VARIANTS = ['light@1', 'dark@1.25', 'highcontrast@2']


def variant(spec):
    theme, scale = spec.split('@')
    s = SCALES[scale]
    env = dict(THEMES[theme])
    env.update(s['env'])
    return {'name': spec, 'theme': theme, 'scale': s['scale'], 'scale_id': scale, 'env': env,
            'factor': s['factor']}
