import { describe, expect, it } from 'vitest';
import { amazonOwnerCopy, amazonYearPageUrl } from '../../../src/connectors/amazon';
import type { StreamCoverage } from '../../../src/core/coverage';
import { joinWithAnd, nextSteps } from '../../../src/ui/next-steps';

const base = { primaryStream: 'orders', noun: 'orders', displayName: 'Amazon', acquisitionPaths: amazonOwnerCopy.acquisitionPaths };
const w = (start: string, end: string, completeness: 'full' | 'partial' = 'full') => ({ start, end, completeness, batchIds: ['b'] });

describe('nextSteps', () => {
  it('Dana: export 2019–Sep 2023 and complete pages for 2023 and 2024 → 2025 and 2026 missing, with a link each, no export step', () => {
    const coverage: StreamCoverage[] = [
      { stream: 'orders', methods: [
        { method: 'browser_polyfill', windows: [w('2023-01-01', '2023-12-31'), w('2024-01-01', '2024-12-31')] },
        { method: 'owner_artifact', windows: [w('2019-02-03', '2023-09-02')] },
      ] },
    ];
    const steps = nextSteps({ ...base, coverage, today: '2026-12-02' });
    expect(steps.map((step) => step.kind)).toEqual(['missing_since']);
    expect(steps[0]!.years).toEqual([2025, 2026]);
    expect(steps[0]!.text).toBe('No orders kept after Dec 31, 2024 (up to today, Dec 2, 2026): open Your Orders for 2025 and 2026 to keep them.');
    expect(steps[0]!.links).toEqual([
      { label: 'Your Orders for 2025', url: 'https://www.amazon.com/your-orders/orders?timeFilter=year-2025' },
      { label: 'Your Orders for 2026', url: 'https://www.amazon.com/your-orders/orders?timeFilter=year-2026' },
    ]);
    expect(amazonYearPageUrl(2025)).toBe('https://www.amazon.com/your-orders/orders?timeFilter=year-2025');
  });

  it('Sam: pages for 2024 only → get the export first, then 2025 and 2026', () => {
    const coverage: StreamCoverage[] = [{ stream: 'orders', methods: [{ method: 'browser_polyfill', windows: [w('2024-01-01', '2024-12-31')] }] }];
    const steps = nextSteps({ ...base, coverage, today: '2026-12-02' });
    expect(steps.map((step) => step.kind)).toEqual(['get_export', 'missing_since']);
    expect(steps[0]!.text).toMatch(/^Get your export: no export imported yet\. Your export holds your orders from before Jan 1, 2024\.$/);
    expect(steps[0]!.steps).toEqual(amazonOwnerCopy.acquisitionPaths[0]!.steps);
    expect(steps[0]!.links?.[0]?.url).toBe('https://www.amazon.com/hz/privacy-central/data-requests/preview.html');
    expect(steps[1]!.years).toEqual([2025, 2026]);
  });

  it('an account with nothing kept yet → only the export', () => {
    const steps = nextSteps({ ...base, coverage: [], today: '2026-12-02' });
    expect(steps.map((step) => step.kind)).toEqual(['get_export']);
    expect(steps[0]!.text).toContain('back to your first one');
  });

  it('an account covered up to today → nothing missing, with the day coverage runs to', () => {
    const coverage: StreamCoverage[] = [
      { stream: 'orders', methods: [
        { method: 'browser_polyfill', windows: [w('2023-01-01', '2026-12-02')] },
        { method: 'owner_artifact', windows: [w('2019-02-03', '2023-09-02')] },
      ] },
    ];
    const steps = nextSteps({ ...base, coverage, today: '2026-12-02' });
    expect(steps).toEqual([{ kind: 'nothing_missing', text: 'Nothing missing: your orders are kept from Feb 3, 2019 through Dec 2, 2026.' }]);
  });

  it('a hole between covered windows names its years, after the years since', () => {
    const coverage: StreamCoverage[] = [
      { stream: 'orders', methods: [
        { method: 'browser_polyfill', windows: [w('2025-01-01', '2026-12-02', 'partial')] },
        { method: 'owner_artifact', windows: [w('2019-02-03', '2023-09-02')] },
      ] },
    ];
    const steps = nextSteps({ ...base, coverage, today: '2026-12-02' });
    expect(steps.map((step) => step.kind)).toEqual(['missing_between']);
    expect(steps[0]!.text).toBe('No orders kept from Sep 3, 2023 to Dec 31, 2024: open Your Orders for 2023 and 2024 to keep them.');
    expect(steps[0]!.links?.map((link) => link.url.slice(-4))).toEqual(['2023', '2024']);
  });

  it('other streams do not count, and a connector without year pages links its visit page', () => {
    const coverage: StreamCoverage[] = [{ stream: 'order_items', methods: [{ method: 'owner_artifact', windows: [w('2019-01-01', '2026-12-02')] }] }];
    const paths = [{ method: 'browser_polyfill' as const, title: 'Visit', summary: '', url: 'https://example.com/history', urlLabel: 'Open history' }];
    const steps = nextSteps({ ...base, acquisitionPaths: paths, coverage: [...coverage, { stream: 'orders', methods: [{ method: 'owner_artifact', windows: [w('2026-01-01', '2026-11-30')] }] }], today: '2026-12-02' });
    expect(steps.map((step) => step.kind)).toEqual(['missing_since']);
    expect(steps[0]!.text).toBe('No orders kept after Nov 30, 2026 (up to today, Dec 2, 2026): visit your Amazon pages for 2026 while signed in to keep it.');
    expect(steps[0]!.links).toEqual([{ label: 'Open history', url: 'https://example.com/history' }]);
  });

  it('joins years with "and"', () => {
    expect(joinWithAnd([2025])).toBe('2025');
    expect(joinWithAnd([2023, 2024, 2025])).toBe('2023, 2024 and 2025');
  });
});
