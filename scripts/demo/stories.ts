/** The stories `npm run demo` tells, in order. Adding a connector: its story in `scripts/demo/<key>.ts` and one line here. */
import { amazonStory } from './amazon';
import { chatgptStory } from './chatgpt';
import type { DemoStory } from './context';

export const stories: DemoStory[] = [
  { title: 'Amazon', run: amazonStory },
  { title: 'ChatGPT', run: chatgptStory },
];
