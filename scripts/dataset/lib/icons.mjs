// Small stroke icons (24x24 viewBox, currentColor) used for icon buttons and decorations.
const P = {
  close: 'M6 6L18 18M18 6L6 18',
  plus: 'M12 5V19M5 12H19',
  minus: 'M5 12H19',
  search: 'M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13M15.5 15.5L20 20',
  menu: 'M4 7H20M4 12H20M4 17H20',
  gear: 'M12 8.5a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7M12 2V5M12 19V22M2 12H5M19 12H22M4.9 4.9L7 7M17 17L19.1 19.1M4.9 19.1L7 17M17 7L19.1 4.9',
  trash: 'M5 7H19M10 7V4H14V7M7 7L8 20H16L17 7M10 11V16M14 11V16',
  pencil: 'M4 20L5 15L16 4L20 8L9 19ZM14 6L18 10',
  chevronDown: 'M6 9L12 15L18 9',
  chevronRight: 'M9 6L15 12L9 18',
  chevronLeft: 'M15 6L9 12L15 18',
  refresh: 'M19 12a7 7 0 1 1-2-5M19 4V8H15',
  download: 'M12 4V15M7 10L12 15L17 10M5 20H19',
  upload: 'M12 20V9M7 14L12 9L17 14M5 4H19',
  bell: 'M6 17V11a6 6 0 0 1 12 0V17L20 19H4ZM10 21H14',
  home: 'M4 11L12 4L20 11V20H14V14H10V20H4Z',
  star: 'M12 3L14.8 9L21 9.6L16.3 14L17.7 20.5L12 17.2L6.3 20.5L7.7 14L3 9.6L9.2 9Z',
  user: 'M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8M4 21c1-4.5 4-6.5 8-6.5s7 2 8 6.5',
  folder: 'M3 6H10L12 8H21V19H3Z',
  filter: 'M4 5H20L14 12V19L10 17V12Z',
  kebab: 'M12 5.5v.01M12 12v.01M12 18.5v.01',
  copy: 'M8 8H19V20H8ZM5 16V4H16',
  maximize: 'M5 5H19V19H5Z',
  info: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M12 11V17M12 7.5v.01',
  mail: 'M3 6H21V18H3ZM3 6L12 13L21 6',
  calendar: 'M4 6H20V20H4ZM4 10H20M8 3V7M16 3V7',
  lock: 'M6 11H18V20H6ZM8 11V8a4 4 0 0 1 8 0V11',
  play: 'M7 5L19 12L7 19Z',
  save: 'M5 4H16L20 8V20H4V4ZM8 4V9H15V4M8 20V14H16V20',
  check: 'M5 12.5L10 17L19 7',
  eye: 'M2 12s4-7 10-7s10 7 10 7s-4 7-10 7S2 12 2 12ZM12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6',
  share: 'M18 4a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5M6 9.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5M18 15a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5M8.2 11L15.8 7M8.2 13L15.8 17',
};
export const ICON_NAMES = Object.keys(P);

export function icon(name, size, strokeWidth = 2) {
  const d = P[name] ?? P.star;
  const dots = name === 'kebab' ? 3.2 : strokeWidth;
  return `<svg width="${size}" height="${size}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="${dots}" stroke-linecap="round" stroke-linejoin="round" style="display:block"><path d="${d}"/></svg>`;
}
