/** Amazon's identity and reach, free of dependencies so the build config and content script can import it cheaply. */
export const amazonMeta = {
  key: 'amazon',
  displayName: 'Amazon',
  hosts: ['www.amazon.com'],
  /** Orders list (current and older URL shapes) and order detail pages. Nowhere else. */
  matches: [
    'https://www.amazon.com/your-orders/*',
    'https://www.amazon.com/gp/your-account/order-history*',
    'https://www.amazon.com/gp/css/order-history*',
    'https://www.amazon.com/gp/your-account/order-details*',
    'https://www.amazon.com/gp/css/summary/edit.html*',
  ],
  /** /2: the PDPP reference manifest's field names, item `id`, `order_date` a day (schema v6). */
  extractorVersion: 'amazon-page/2',
  parserVersion: 'amazon-csv/2',
} as const;
