// Vocabulary for randomised UI text. Kept in one place so pages read like real software.
export const BUTTON_WORDS = [
  'OK', 'Cancel', 'Apply', 'Save', 'Save changes', 'Submit', 'Next', 'Back', 'Finish', 'Close', 'Delete',
  'Remove', 'Add', 'Add item', 'New', 'Create', 'Edit', 'Update', 'Browse...', 'Open', 'Export', 'Import',
  'Upload', 'Download', 'Sign in', 'Log in', 'Sign up', 'Continue', 'Confirm', 'Retry', 'Reset', 'Search',
  'Send', 'Invite', 'Refresh', 'Run', 'Start', 'Stop', 'Yes', 'No', 'Help', 'Details', 'Print', 'Copy',
  'Archive', 'Approve', 'Reject', 'Preview', 'Publish', 'Filter', 'Clear', 'Select all', 'Change password',
];
export const LABEL_WORDS = [
  'Name', 'First name', 'Last name', 'Email', 'Email address', 'Password', 'Confirm password', 'Phone',
  'Company', 'Address', 'City', 'Postal code', 'Country', 'Username', 'Display name', 'Website', 'Title',
  'Description', 'Department', 'Manager', 'Start date', 'End date', 'Amount', 'Currency', 'Invoice no.',
  'Order ID', 'Customer', 'Quantity', 'Price', 'Server', 'Port', 'Host name', 'Timeout (s)', 'Path',
  'Proxy', 'Language', 'Time zone', 'Priority', 'Status', 'Category', 'Project', 'Tags', 'Notes', 'Account',
];
export const OPTION_WORDS = [
  'Remember me', 'Enable notifications', 'Send me updates', 'Auto-save', 'Show hidden files',
  'Use proxy server', 'Dark mode', 'Start on login', 'Check for updates', 'Two-factor authentication',
  'Email alerts', 'Compact view', 'Show line numbers', 'Word wrap', 'Sync in background', 'Allow guests',
  'Public profile', 'Beta features', 'Track changes', 'Read receipts', 'Sound effects', 'Offline mode',
  'Accept terms', 'Subscribe', 'Include archived', 'Case sensitive', 'Match whole word', 'Keep logs',
];
export const SELECT_WORDS = [
  'English', 'Deutsch', 'Français', 'Select...', 'Choose an option', 'Medium', 'High', 'Low', 'Daily',
  'Weekly', 'Monthly', 'UTC+01:00', 'Automatic', 'All items', 'Last 30 days', 'Administrator', 'Viewer',
  'Editor', 'PDF', 'CSV', 'United States', 'Germany', 'Default', 'None', '100%', 'Ascending', 'Open',
];
export const MENU_WORDS = [
  'File', 'Edit', 'View', 'Insert', 'Format', 'Tools', 'Window', 'Help', 'Project', 'Run', 'Options',
  'Settings', 'Reports', 'Data', 'Go', 'Selection', 'Terminal', 'Account', 'History', 'Bookmarks',
];
export const POPUP_MENU_WORDS = [
  'New window', 'Open...', 'Open recent', 'Save as...', 'Close tab', 'Undo', 'Redo', 'Cut', 'Copy',
  'Paste', 'Rename', 'Duplicate', 'Move to...', 'Properties', 'Share', 'Print...', 'Exit', 'Preferences',
];
export const NAV_WORDS = [
  'Dashboard', 'Overview', 'Home', 'Inbox', 'Orders', 'Customers', 'Products', 'Invoices', 'Reports',
  'Analytics', 'Team', 'Projects', 'Calendar', 'Documents', 'Settings', 'Billing', 'Security',
  'Notifications', 'Integrations', 'API keys', 'Users', 'Profile', 'Appearance', 'Storage', 'Network',
];
export const TAB_WORDS = [
  'General', 'Advanced', 'Security', 'Details', 'Summary', 'History', 'Permissions', 'Sharing', 'Network',
  'Display', 'Sound', 'Privacy', 'Activity', 'Comments', 'Files', 'Members', 'Overview', 'Logs', 'Options',
];
export const LINK_WORDS = [
  'Learn more', 'Forgot password?', 'View all', 'Privacy policy', 'Terms of service', 'Documentation',
  'Contact support', 'Show details', 'Edit profile', 'Manage', 'See changelog', 'Read more', 'Download',
  'Unsubscribe', 'Go back', 'Open in new tab', 'Report a problem', 'More options', 'invoice-2024-0031.pdf',
];
export const HEADINGS = [
  'Account settings', 'General', 'Connection', 'Personal information', 'Billing details', 'Preferences',
  'Notifications', 'Security', 'Recent orders', 'Users', 'New customer', 'Export data', 'Properties',
  'Shipping address', 'Network configuration', 'Appearance', 'Advanced options', 'Team members',
];
export const WORDS = (
  'the of and to in is you that it for on are with as be this was have or at by not from but what all ' +
  'were when we there can an your which their if do will each about how up out them then she many some so ' +
  'these would other into has more her two like him see time could no make than first been its who now ' +
  'people my made over did down only way find use may water long little very after words called just where ' +
  'most know get through back much before go good new write our used me man too any day same right look ' +
  'think also around another came come work three word must because does part even place well such'
).split(' ');
export const CELL_WORDS = [
  'Alice Smith', 'Bob Jones', 'Carol White', 'D. Miller', 'Acme Corp', 'Globex', 'Initech', 'Pending',
  'Paid', 'Shipped', '€ 1,240.00', '$ 87.50', '2024-03-12', '12:45', 'Berlin', 'London', 'Tokyo',
  'user@example.com', 'v2.4.1', '98%', '—', 'Admin', 'Guest', 'INV-0042', '#10293', '3 items', 'Active',
];
// generator v2 (stop 11)
// Symbols that icon fonts and plain-Unicode UIs use for icon buttons (no letters or digits; DejaVu has them all).
export const GLYPHS = [
  '⋮', '⋯', '☰', '✕', '×', '★', '☆', '♡', '♥', '⚙', '✎', '✏', '↻', '⟳', '«', '»', '‹', '›', '+', '−', '✓', '⚑',
  '☺', '▤', '▦', '⇅', '⇔', '▸', '◂', '▾', '✉', '⌂', '⤓', '⬆', '⬇', '←', '→', '↑', '↓', '⊕', '⊖', '⌕', '☼', '☾',
  '♪', '⚠', '⊞', '✂', '⌫', '⚲', '☁', '⌘', '⇪', '✱',
];
export const GHOST_BUTTON_WORDS = [
  '+ Add a card', '+ Add item', '+ New list', '+ Add task', 'Show more', 'Load more', '+ Add another list',
  'Recent ▾', 'Starred ▾', 'More ▾', 'Workspaces ▾', 'Templates ▾', 'Sort ▾', 'Filter ▾', 'Add filter', 'Clear all',
];
export const RIBBON_TABS = ['File', 'Home', 'Insert', 'Draw', 'Design', 'Layout', 'Page Layout', 'Formulas', 'Data', 'Review', 'View', 'Help', 'Developer', 'Mailings', 'References', 'Format'];
export const RIBBON_WORDS = [
  'Paste', 'Copy', 'Cut', 'Format Painter', 'Conditional', 'Format as Table', 'Cell Styles', 'Insert', 'Delete', 'Format',
  'AutoSum', 'Fill', 'Clear', 'Sort', 'Find', 'Select', 'Merge & Center', 'Wrap Text', 'Picture', 'Shapes', 'Chart',
  'Table', 'Link', 'Comment', 'Header', 'Styles', 'Replace', 'Dictate', 'Editor', 'Share', 'New Slide', 'Refresh All',
];
export const RIBBON_GROUPS = ['Clipboard', 'Font', 'Alignment', 'Number', 'Styles', 'Cells', 'Editing', 'Tables', 'Illustrations', 'Paragraph', 'Voice', 'Queries'];
export const FOOTER_LINK_WORDS = ['More info ➜', 'More info →', 'View details', 'See all ›', 'Open report', 'View all →', 'Details »'];
// Picker-style open menus (workspace / project / account switchers, "move to" pickers): section headers and entries.
export const PICKER_HEADINGS = ['Current workspace', 'Your workspaces', 'Recent', 'Starred', 'Switch account', 'Teams', 'Projects', 'Shared with you', 'Boards', 'Spaces', 'Organisations', 'Folders'];
export const PICKER_WORDS = [
  'Sales EMEA', 'Design system', 'Backend', 'Data science', 'Customer success', 'Human resources', 'Legal review', 'Mobile app',
  'QA and release', 'Support desk', 'Growth', 'Operations', 'Research', 'Billing', 'Onboarding', 'Procurement', 'North region',
  'Website redesign', 'Q3 planning', 'Invoices 2026', 'Payroll', 'Field service', 'Audit', 'Sandbox', 'Archive',
];
export const PICKER_PEOPLE = ['Ana Silva', 'Ben Okafor', 'Chen Wei', 'Dana Kim', 'Eva Novak', 'Farid Haddad', 'Grace Lee', 'Hugo Martin', 'Ines Duarte', 'Jonas Berg'];
export const PICKER_COMMANDS = ['Create workspace', 'Manage accounts', 'Add account', 'Sign out', 'Settings', 'View all', 'New project', 'Invite members'];
