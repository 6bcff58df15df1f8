// @vitest-environment happy-dom
/** Every refusal: a typed error, an owner sentence, and nothing already stored touched. */
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../../src/connectors/registry';
import { ImportRunner } from '../../../src/import/runner';
import { freshDb } from '../../support/streams';
import { makeAmazonExportZip, amazonExportCsvBytes } from '../../fixtures/amazon';
import { encryptedZip, snapshot, stageBytes } from './support';

const refusals: [string, string, () => Uint8Array | string, string, RegExp][] = [
  ['an unknown format', 'unknown_format', () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'photo.png', /not a text or zip file/],
  ['plain text that is no export', 'unknown_format', () => 'Dear diary, today I bought a mug.\n', 'notes.txt', /does not recognise/],
  ['an HTML export where JSON is needed', 'html_export', () => '<!DOCTYPE html><html><body><div class="content-cell">Watched <a href="https://www.youtube.com/watch?v=x">A video</a></div></body></html>', 'watch-history.html', /choose JSON/],
  ['a Your Orders page saved from the browser', 'html_export', () => '<!DOCTYPE html><html><head><title>Your Orders</title></head><body><div class="order-card">Order placed</div></body></html>', 'Your Orders.html', /saved from your browser.*request Amazon’s data export \(a zip\)/],
  ['an HTML export inside a zip', 'html_export', () => zipSync({ 'Takeout/YouTube/history/watch-history.html': strToU8('<html><body>hi</body></html>') }), 'takeout.zip', /choose JSON/],
  ['an encrypted zip', 'encrypted_zip', encryptedZip, 'Your Orders.zip', /password-protected/],
  ['a corrupt zip', 'corrupt_zip', () => makeAmazonExportZip().slice(0, 200), 'Your Orders.zip', /damaged or incomplete/],
  ['a zip whose data is damaged', 'corrupt_zip', () => {
    const zip = makeAmazonExportZip().slice();
    zip[120] = zip[120]! ^ 0xff; // inside the compressed data: the CRC no longer matches
    return zip;
  }, 'Your Orders.zip', /damaged or incomplete/],
  ['a file of the wrong service (Spotify)', 'wrong_service', () => '[{"endTime":"2024-01-02 03:04","artistName":"Nils Frahm","trackName":"Says","msPlayed":61000}]', 'StreamingHistory_music_0.json', /Spotify/],
  ['the X archive’s web page alone', 'html_export', () => '<!DOCTYPE html><html><head><title>Your archive</title></head><body><div id="root"></div><script src="assets/js/main.js"></script></body></html>', 'Your archive.html', /X archive.*Upload the whole archive zip/],
  ['an X archive zip without its posts', 'no_records', () => zipSync({ 'data/account.js': strToU8('window.YTD.account.part0 = [ { "account" : { "accountId" : "1400000000000000001", "username" : "danawhit" } } ]') }), 'twitter-2024.zip', /no data\/tweets\.js.*upload the whole archive zip/],
  ['another file of the X archive (likes)', 'no_records', () => 'window.YTD.like.part0 = [ { "like" : { "tweetId" : "1", "fullText" : "hi" } } ]', 'like.js', /does not hold your posts: upload the whole archive zip/],
  ['a zip of the wrong service (Instagram)', 'wrong_service', () => zipSync({ 'your_instagram_activity/likes/liked_posts.json': strToU8('{"likes_media_likes":[{"title":"x","string_list_data":[{"timestamp":1700000000}]}]}') }), 'instagram-dana-2024.zip', /Instagram/],
  ['a zip bomb', 'zip_limits', () => zipSync({ 'Retail.OrderHistory.1/Retail.OrderHistory.1.csv': new Uint8Array(5 * 1024 * 1024) }, { level: 9 }), 'bomb.zip', /far more than an export/],
  ['a runaway line', 'line_too_long', () => `Order ID,Order Date,ASIN\n"${'x'.repeat(1_200_000)}`, 'Retail.OrderHistory.1.csv', /far longer/],
  ['an empty file', 'empty_file', () => new Uint8Array(0), 'Retail.OrderHistory.1.csv', /is empty/],
  ['a file with no records', 'no_records', () => 'Order ID,Order Date,ASIN,Quantity\n', 'Retail.OrderHistory.1.csv', /holds no records/],
];

describe('refusals', () => {
  it.each(refusals)('refuses %s (%s) before storing anything', async (_label, code, bytes, fileName, message) => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    // Something already stored, which a refused import must not touch.
    const seeded = await runner.start(await stageBytes(db, amazonExportCsvBytes(), 'Retail.OrderHistory.1.csv'));
    await runner.whenIdle();
    await runner.confirm(seeded.id, { newConnection: { accountName: 'Dana' } });
    await runner.whenIdle();
    const before = await snapshot(db);
    expect(before.records.length).toBeGreaterThan(0);

    const job = await runner.start(await stageBytes(db, bytes(), fileName));
    await runner.whenIdle();
    const refused = await runner.get(job.id);
    expect(refused.status).toBe('refused');
    expect(refused.error?.code).toBe(code);
    expect(refused.error?.message).toMatch(message);
    expect(refused.error?.message).not.toMatch(/sha|undefined|Error/);
    expect(await snapshot(db)).toEqual(before);
    expect(await db.staged.get(job.stagedId)).toBeUndefined();
  });

  it('refuses a file above the configured size limit without reading it', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    await runner.saveSettings({ maxFileBytes: 2048 });
    const job = await runner.start(await stageBytes(db, makeAmazonExportZip(), 'Your Orders.zip'));
    await runner.whenIdle();
    const refused = await runner.get(job.id);
    expect(refused).toMatchObject({ status: 'refused', error: { code: 'too_large' } });
    expect(refused.sha256).toBeUndefined();
    expect(refused.error?.message).toMatch(/larger than Gleaner's import limit/);
  });

  it('reads a file of the right service by content whatever its name, and ignores unsafe zip entry names', async () => {
    const db = await freshDb();
    const runner = new ImportRunner(db, connectors);
    const csv = amazonExportCsvBytes();
    const zip = zipSync({ '../evil/Retail.OrderHistory.9.csv': strToU8('Order ID\n111-0000000-0000000\n'), 'Retail.OrderHistory.1/Retail.OrderHistory.1.csv': csv });
    const job = await runner.start(await stageBytes(db, zip, 'download (3).zip'));
    await runner.whenIdle();
    const ready = await runner.get(job.id);
    expect(ready.status).toBe('ready');
    expect(ready.preview?.ignoredEntries).toEqual(['../evil/Retail.OrderHistory.9.csv']);
    const bare = await runner.start(await stageBytes(db, csv, 'orders export.csv'));
    await runner.whenIdle();
    expect((await runner.get(bare.id)).status).toBe('ready');
  });
});
