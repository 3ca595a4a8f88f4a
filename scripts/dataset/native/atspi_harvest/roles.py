"""AT-SPI role -> element type of the brief (issue 15). Pure: no pyatspi import, so it is unit-testable.

classify(node, ctx) takes plain values (role name, accessible name, states, box, parent/ancestor roles) and
returns (type, checked) or None for things that are not elements (labels, panels, images, scroll bars,
tool bars and menu bars themselves)."""

# Roles whose own box is the element and whose descendants are NOT separate elements (a spin button's
# entry and +/- buttons, a combo box's entry and arrow, a check box's label...). Popup menus under a
# combo box are the exception: classify() is still called for their items while the popup is open.
LEAF_ROLES = {
    'push button', 'toggle button', 'check box', 'radio button', 'switch', 'combo box', 'text', 'entry',
    'password text', 'link', 'spin button', 'slider', 'progress bar', 'level bar', 'table column header',
    'column header', 'list item', 'tree item', 'menu item', 'check menu item', 'radio menu item',
    'push button menu', 'toggle button menu', 'table cell', 'header',
}

TEXT_ROLES = {'text', 'entry', 'password text'}
MENU_ITEM_ROLES = {'menu item', 'check menu item', 'radio menu item', 'tearoff menu item'}
LIST_CONTAINERS = {'list', 'list box', 'table', 'tree table', 'tree'}


def text_fits(name, width, height):
    """Could the name be drawn as text inside the box? A character is about 0.2 of a button's height wide
    (font ~ half the height), plus padding; scale-free because both grow with the scale."""
    return width >= len(name) * 0.2 * height + 0.3 * height


def is_icon_only(name, width, height, image=None, in_toolbar=False):
    """A push button shows no text when it has no name; a tool-bar button about square draws its icon only (the
    name is its tooltip); a button holding an image (GTK 3 Image interface) in an about-square box is an icon;
    otherwise it is an icon when its name could not be drawn inside its box ('Minimize' in a 34x30 header-bar
    button), and a text button when it could ('Copy', 'OK', a calculator's '7')."""
    label = (name or '').strip()
    if not label:
        return True
    square = width < 1.6 * height
    if in_toolbar or image:
        return square
    return not text_fits(label, width, height)


def classify(role, name, states, width, height, parent_role, in_open_menu=False, expandable_rows=False, image=None,
             in_toolbar=False):
    """Map one accessible to (type, checked) or None.
    role/parent_role: pyatspi getRoleName() strings; states: set of lower-case state names;
    in_open_menu: an ancestor is a showing popup 'menu' (not a menu bar);
    expandable_rows: for table cells, the containing tree table has expandable rows (a tree, not a list);
    image: True/False when the source tells whether a button holds an image, None when it does not."""
    checked = ('checked' in states) or ('pressed' in states)
    if role == 'push button':
        return ('icon_button' if is_icon_only(name, width, height, image, in_toolbar) else 'button', None)
    if role in ('toggle button', 'switch', 'push button menu', 'toggle button menu'):
        if role == 'push button menu':  # a menu button opens a popup: a button to the user
            return ('icon_button' if is_icon_only(name, width, height, image, in_toolbar) else 'button', None)
        return ('toggle', checked)
    if role == 'check box':
        return ('checkbox', checked)
    if role == 'radio button':
        return ('radio', checked)
    if role == 'combo box':
        return ('dropdown', None)
    if role in TEXT_ROLES:
        return ('text_input', None) if 'editable' in states else None
    if role == 'link':
        return ('link', None)
    if role == 'page tab':
        return ('tab', None)
    if role in MENU_ITEM_ROLES or role == 'menu':
        if parent_role == 'menu bar':
            return ('menu_bar_item', None)
        if in_open_menu or parent_role in ('menu', 'popup menu'):
            return ('menu_item', None)
        return None
    if role == 'list item':
        return ('list_item', None)
    if role == 'tree item':
        return ('tree_item', None)
    if role in ('table row', 'table cell'):
        return ('tree_item' if expandable_rows else 'list_item', None)
    if role == 'spin button':
        return ('spin_button', None)
    if role == 'slider':
        return ('slider', None)
    if role in ('progress bar', 'level bar'):
        return ('progress_bar', None)
    if role in ('table column header', 'column header'):
        return ('header_item', None)
    return None

