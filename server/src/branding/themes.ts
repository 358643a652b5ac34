/**
 * The built-in themes (design tokens).
 * @module
 */

/** A theme: design tokens a client turns into colours, fonts and shapes. */
export interface Theme {
  id: string;
  name: string;
  scheme: 'light' | 'dark';
  tokens: Record<string, string>;
}

const font = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';

/** The themes every deployment has. Text on background meets WCAG AA in each. */
export const BUILTIN_THEMES: readonly Theme[] = [
  {
    id: 'light',
    name: 'Light',
    scheme: 'light',
    tokens: {
      'color.background': '#f7f7f8',
      'color.surface': '#ffffff',
      'color.text': '#1c1d21',
      'color.text.muted': '#5b5e66',
      'color.accent': '#2b68d9',
      'color.accent.text': '#ffffff',
      'color.bubble.mine': '#2b68d9',
      'color.bubble.mine.text': '#ffffff',
      'color.bubble.theirs': '#e9eaee',
      'color.bubble.theirs.text': '#1c1d21',
      'color.border': '#d9dbe1',
      'font.family': font,
      radius: '12px',
    },
  },
  {
    id: 'dark',
    name: 'Dark',
    scheme: 'dark',
    tokens: {
      'color.background': '#111216',
      'color.surface': '#1b1d23',
      'color.text': '#eceef2',
      'color.text.muted': '#a3a7b1',
      'color.accent': '#6ea0ff',
      'color.accent.text': '#0b0c0f',
      'color.bubble.mine': '#2f5fc0',
      'color.bubble.mine.text': '#ffffff',
      'color.bubble.theirs': '#2a2d35',
      'color.bubble.theirs.text': '#eceef2',
      'color.border': '#33363f',
      'font.family': font,
      radius: '12px',
    },
  },
  {
    id: 'high-contrast',
    name: 'High contrast',
    scheme: 'dark',
    tokens: {
      'color.background': '#000000',
      'color.surface': '#000000',
      'color.text': '#ffffff',
      'color.text.muted': '#ffffff',
      'color.accent': '#ffd400',
      'color.accent.text': '#000000',
      'color.bubble.mine': '#ffd400',
      'color.bubble.mine.text': '#000000',
      'color.bubble.theirs': '#1a1a1a',
      'color.bubble.theirs.text': '#ffffff',
      'color.border': '#ffffff',
      'font.family': font,
      radius: '4px',
    },
  },
];
