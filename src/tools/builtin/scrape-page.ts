import * as cheerio from 'cheerio';
import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';
import { safeFetch, type SafeFetchOptions } from '../ssrf.js';

export interface ScrapedPage {
  url: string;
  title: string;
  /** Readable text: the article (or main, or body) without scripts, styles, navigation or hidden elements. */
  text: string;
  links: { text: string; href: string }[];
  truncated: boolean;
}

export interface ScrapeOptions {
  maxTextChars?: number;
  maxLinks?: number;
}

/** Extracts title, readable text and links from HTML. Hidden elements are dropped: they are where injections hide. */
export function extractPage(html: string, baseUrl: string, options: ScrapeOptions = {}): ScrapedPage {
  const maxText = options.maxTextChars ?? DEFAULTS.security.scrape.maxTextChars;
  const maxLinks = options.maxLinks ?? DEFAULTS.security.scrape.maxLinks;
  const $ = cheerio.load(html);
  const title = ($('title').first().text() || $('h1').first().text()).replace(/\s+/g, ' ').trim();
  $('script, style, noscript, template, svg, iframe, object, embed, head, [hidden], [aria-hidden="true"]').remove();
  $('[style]').each((_, el) => {
    if (/display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d]*[1-9])/i.test($(el).attr('style') ?? '')) $(el).remove();
  });
  const links: ScrapedPage['links'] = [];
  const seen = new Set<string>();
  $('a[href]').each((_, el) => {
    if (links.length >= maxLinks) return;
    try {
      const href = new URL($(el).attr('href')!, baseUrl);
      if ((href.protocol === 'http:' || href.protocol === 'https:') && !seen.has(href.href)) {
        seen.add(href.href);
        links.push({ text: $(el).text().replace(/\s+/g, ' ').trim(), href: href.href });
      }
    } catch {
      // an unparsable href is skipped
    }
  });
  $('nav, footer, header, aside, form').remove();
  const root = $('article').first().length ? $('article').first() : $('main').first().length ? $('main').first() : $('body');
  root.find('br').replaceWith('\n');
  root.find('p, div, li, h1, h2, h3, h4, h5, h6, tr, section, pre, blockquote').each((_, el) => {
    $(el).append('\n');
  });
  const text = root
    .text()
    .split('\n')
    .map((l) => l.replace(/[ \t\u00A0]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
  return { url: baseUrl, title, text: text.slice(0, maxText), links, truncated: text.length > maxText };
}

/** Fetches a page safely (see safeFetch) and extracts it. */
export async function scrapePage(url: string, options: SafeFetchOptions & ScrapeOptions = {}): Promise<ScrapedPage> {
  const response = await safeFetch(url, { ...options, headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5', ...options.headers } });
  if (response.status >= 400)
    throw new SextantError('TOOL_ERROR', `${response.url} answered HTTP ${response.status}`, { context: { url: response.url, status: response.status } });
  const type = response.headers['content-type'] ?? '';
  if (type && !/html|xml|text\/plain/i.test(type)) {
    throw new SextantError('TOOL_ERROR', `${response.url} is ${type}, not an HTML page`, { context: { url: response.url, contentType: type } });
  }
  return extractPage(response.text(), response.url, options);
}
