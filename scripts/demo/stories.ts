/** The stories `npm run demo` tells, in order. Adding a connector: its story in `scripts/demo/<key>.ts` and one line here. */
import { amazonStory } from './amazon';
import { netflixStory } from './netflix';
import { youtubeStory } from './youtube';
import { chatgptStory } from './chatgpt';
import { xStory } from './x';
import { redditStory } from './reddit';
import type { DemoStory } from './context';

export const stories: DemoStory[] = [
  { title: 'Amazon', run: amazonStory },
  { title: 'Netflix', run: netflixStory },
  { title: 'YouTube', run: youtubeStory },
  { title: 'ChatGPT', run: chatgptStory },
  { title: 'X', run: xStory },
  { title: 'Reddit', run: redditStory },
];
