/**
 * The import preview's "name this account" field for a file that names no
 * account: the connector's words (for Amazon, the name it greets you with),
 * and the file's own evidence beside it (the names on its shipping addresses).
 * The background checks the name (`src/import/account-naming.ts`).
 */
import type { ImportPreview } from '../../import/types';

export function AccountNameField({ preview, value, onInput }: { preview: ImportPreview; value: string; onInput(value: string): void }) {
  const naming = preview.accountNaming;
  const evidence = preview.accountEvidence;
  return (
    <div class="account-name" data-testid="account-name-field">
      <label class="field">
        {naming?.prompt ?? `A name for this ${preview.connectorName} account`}
        <input type="text" value={value} required data-testid="account-name" onInput={(event) => onInput((event.currentTarget as HTMLInputElement).value)} />
      </label>
      <p class="hint">{naming?.help ?? 'So you can tell your accounts apart.'}</p>
      {evidence && evidence.values.length > 0 && (
        <p class="hint evidence" data-testid="account-evidence">
          {evidence.label}: {evidence.values.map((entry) => `${entry.value} (${entry.count.toLocaleString('en-US')})`).join(', ')}
        </p>
      )}
    </div>
  );
}
