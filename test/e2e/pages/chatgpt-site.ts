/** ChatGPT as the owner browses it, served from fixtures at chatgpt.com, with the session endpoint the page asks. */
import type { Page } from 'playwright-core';
import { CHAT_HTML, EXPORT_ZIP_NAME, SESSION_URL, chatgptPage, conversationsJson, makeChatgptExportZip, sessionReply, type ChatgptPageFixture } from '../../fixtures/chatgpt';
import type { ExtensionSession } from '../support/extension';
import type { UploadFile } from './dashboard-page';

export type ChatgptAccount = 'dana' | 'sam' | 'signed_out';

/** Who chatgpt.com's session endpoint says is signed in, from now on. */
export function signInToChatgpt(session: ExtensionSession, who: ChatgptAccount): void {
  session.servePage(SESSION_URL, sessionReply(who));
}

/** Serves one page at its real URL, signed in as `who`, and opens it; resolves once the capture has landed. */
export async function browseChatgpt(session: ExtensionSession, fixture: ChatgptPageFixture, who: ChatgptAccount = 'dana'): Promise<Page> {
  const { url, html } = chatgptPage(fixture);
  signInToChatgpt(session, who);
  session.servePage(url, html);
  return session.visit(url);
}

/** Opens a page that must not be stored (signed out, someone's shared chat). */
export async function browseChatgptExpectingNoCapture(session: ExtensionSession, fixture: ChatgptPageFixture, who: ChatgptAccount): Promise<Page> {
  const { url, html } = chatgptPage(fixture);
  signInToChatgpt(session, who);
  session.servePage(url, html);
  return session.visitExpectingNoCapture(url);
}

export const chatgptZipUpload = (): UploadFile => ({ name: EXPORT_ZIP_NAME, buffer: Buffer.from(makeChatgptExportZip()), mimeType: 'application/zip' });
export const chatHtmlUpload = (): UploadFile => ({ name: 'chat.html', buffer: Buffer.from(CHAT_HTML), mimeType: 'text/html' });
export const conversationsJsonUpload = (): UploadFile => ({ name: 'conversations.json', buffer: Buffer.from(conversationsJson()), mimeType: 'application/json' });
