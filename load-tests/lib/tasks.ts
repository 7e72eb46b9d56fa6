// Deterministic request content: a seeded generator, Zipf sampling, prompts for the built-in model's experts, novel
// few-shot tasks (1-D digit rows with a random recolouring rule) and synthetic documents. Pure functions of their
// seeds: the same seed gives the same requests in k6 and in any other runner that ports these few lines.

/** A generator of floats in [0, 1), seeded by a string (xmur3 hash into mulberry32). */
export type Random = () => number;

export function random(seed: string): Random {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  let a = (h ^= h >>> 16) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
export function between(r: Random, min: number, max: number): number {
  return min + Math.floor(r() * (max - min + 1));
}

export function pick<T>(r: Random, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)];
}

/** Samples ranks 0..n-1 with P(k) proportional to 1 / (k + 1)^s. */
export class Zipf {
  private readonly cdf: number[];

  constructor(n: number, s: number) {
    if (n < 1) throw new Error("Zipf over an empty list");
    const weights = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s));
    const total = weights.reduce((a, b) => a + b, 0);
    let acc = 0;
    this.cdf = weights.map((w) => (acc += w / total));
  }

  sample(r: Random): number {
    const u = r();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// ---------------------------------------------------------------- experts of the built-in model

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function letters(r: Random, min: number, max: number): string {
  let s = "";
  for (let i = between(r, min, max); i > 0; i--) s += pick(r, LETTERS.split(""));
  return s;
}

function colour(r: Random): string {
  return String(between(r, 1, 9));
}

/** A row of min..max cells with 1-3 objects (runs of 1-3 cells of one colour), the last `reserve` cells empty. */
export function objectsRow(r: Random, min: number, max: number, reserve = 0, colours: () => string = () => colour(r)): string {
  const n = between(r, min, max);
  const row = Array<string>(n).fill("0");
  let i = between(r, 0, 2);
  let objects = 0;
  while (objects < 3) {
    const length = between(r, 1, 3);
    if (i + length > n - reserve) break;
    const c = colours();
    for (let m = i; m < i + length; m++) row[m] = c;
    objects++;
    i += length + between(r, 1, 3);
  }
  if (objects === 0) row[between(r, 0, n - reserve - 1)] = colours();
  return row.join("");
}

/** A row with one or two pairs of equal colours around 1-4 background cells (the fill family's inputs). */
function pairsRow(r: Random, min: number, max: number): string {
  const n = between(r, min, max);
  const row = Array<string>(n).fill("0");
  let i = between(r, 0, 1);
  let previous = "0";
  for (let pairs = 0; pairs < 2; pairs++) {
    const gapMax = Math.min(4, n - i - 2);
    if (gapMax < 1) break;
    const gap = between(r, 1, gapMax);
    let c = colour(r);
    while (c === previous) c = colour(r);
    row[i] = c;
    row[i + gap + 1] = c;
    previous = c;
    i += gap + 2 + between(r, 1, 2);
  }
  return row.join("");
}

const rotate = (s: string, k: number) => s.slice(k % s.length) + s.slice(0, k % s.length);
const caesar = (s: string, k: number) =>
  s.replace(/[a-z]/g, (c) => String.fromCharCode(97 + ((c.charCodeAt(0) - 97 + k) % 26)));
const reverse = (s: string) => s.split("").reverse().join("");
/** Coloured cells fall to the right end, in order: "0102030" -> "0000123". */
const gravity = (row: string) => row.replace(/[1-9]/g, "") + row.replace(/0/g, "");
const fill = (row: string) => {
  const out = row.split("");
  let previous = -1;
  for (let j = 0; j < row.length; j++) {
    if (row[j] === "0") continue;
    if (previous >= 0 && row[previous] === row[j]) for (let m = previous + 1; m < j; m++) out[m] = row[j];
    previous = j;
  }
  return out.join("");
};

/** A prompt for an expert, in the "arrow" phrasing the experts were trained on, and its expected answer. */
export interface ExpertPrompt {
  family: string;
  prompt: string;
  expected: string | null;
}

export function expertPrompt(r: Random, family: string, rowMin: number, rowMax: number): ExpertPrompt {
  const arrow = (tag: string, input: string, expected: string | null): ExpertPrompt => ({
    family,
    prompt: `${tag}: ${input} -> `,
    expected,
  });
  switch (family) {
    case "reverse": {
      const s = letters(r, 3, 8);
      return arrow(family, s, reverse(s));
    }
    case "sort": {
      const s = letters(r, 3, 8);
      return arrow(family, s, s.split("").sort().join(""));
    }
    case "rotate": {
      const s = letters(r, 3, 8);
      const k = between(r, 1, 3);
      return arrow(`rotate ${k}`, s, rotate(s, k));
    }
    case "caesar": {
      const s = letters(r, 3, 8);
      const k = between(r, 1, 3);
      return arrow(`caesar ${k}`, s, caesar(s, k));
    }
    case "upper": {
      const s = letters(r, 3, 8);
      return arrow(family, s, s.toUpperCase());
    }
    case "dedup": {
      const s = letters(r, 3, 8);
      return arrow(family, s, [...new Set(s.split(""))].join(""));
    }
    case "add": {
      const a = between(r, 0, 99);
      const b = between(r, 0, 99);
      return arrow(family, `${a}+${b}`, String(a + b));
    }
    case "shift": {
      const k = between(r, 1, 2);
      const row = objectsRow(r, rowMin, rowMax, k);
      return arrow(`shift ${k}`, row, "0".repeat(k) + row.slice(0, row.length - k));
    }
    case "mirror": {
      const row = objectsRow(r, rowMin, rowMax);
      return arrow(family, row, reverse(row));
    }
    case "recolour": {
      const from = colour(r);
      let to = colour(r);
      while (to === from) to = colour(r);
      const row = objectsRow(r, rowMin, rowMax, 0, () => (r() < 0.6 ? from : colour(r)));
      return arrow(`recolour ${from}>${to}`, row, row.split(from).join(to));
    }
    case "fill": {
      const row = pairsRow(r, rowMin, rowMax);
      return arrow(family, row, fill(row));
    }
    case "gravity": {
      const row = objectsRow(r, rowMin, rowMax);
      return arrow(family, row, gravity(row));
    }
    case "substitute":
      // Its letter table is learnt from demonstrations only: without them the answer cannot be known.
      return arrow(family, letters(r, 3, 6), null);
    default:
      throw new Error(`no prompt generator for the family ${family}`);
  }
}

// ---------------------------------------------------------------- novel few-shot tasks

export interface Example {
  input: string;
  output: string;
}

/**
 * A rule no family of the built-in model covers: recolour one colour to another, then maybe let the coloured cells
 * fall to the right or mirror the row (the first is README's example: 9 becomes 2, then the colours fall).
 */
export interface NovelRule {
  name: string;
  apply(row: string): string;
  /** A row of min..max cells that shows the colour being recoloured. */
  row(r: Random, min: number, max: number): string;
}

export function novelRule(r: Random): NovelRule {
  const from = colour(r);
  let to = colour(r);
  while (to === from) to = colour(r);
  const then = pick(r, ["none", "gravity", "mirror"] as const);
  return {
    name: `recolour ${from}>${to}, then ${then}`,
    apply(row: string): string {
      const recoloured = row.split(from).join(to);
      return then === "gravity" ? gravity(recoloured) : then === "mirror" ? reverse(recoloured) : recoloured;
    },
    row(rr: Random, min: number, max: number): string {
      for (;;) {
        const candidate = objectsRow(rr, min, max, 0, () => (rr() < 0.5 ? from : colour(rr)));
        if (candidate.includes(from)) return candidate;
      }
    },
  };
}

export interface FewShotTask {
  rule: NovelRule;
  examples: Example[];
  prompt: string;
  expected: string;
}

/** The task of a seed: the same seed, the same demonstrations, so the same adapter id on every instance. */
export function novelTask(seed: string, demos: number, rowMin: number, rowMax: number): FewShotTask {
  const r = random(seed);
  const rule = novelRule(r);
  const examples: Example[] = [];
  for (let i = 0; i < demos; i++) {
    const input = rule.row(r, rowMin, rowMax);
    examples.push({ input, output: rule.apply(input) });
  }
  const prompt = rule.row(r, rowMin, rowMax);
  return { rule, examples, prompt, expected: rule.apply(prompt) };
}

// ---------------------------------------------------------------- documents

const WORDS = [
  "amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
  "kestrel", "lagoon", "meadow", "nickel", "orchid", "pepper", "quartz", "raven", "saffron", "tundra",
];

/** A synthetic document of about `chars` characters (facts about routes), and a question about one of them. */
export function documentFor(seed: string, chars: number): { document: string; question: string } {
  const r = random(seed);
  const facts: string[] = [];
  let length = 0;
  while (length < chars) {
    const route = `${pick(r, WORDS)}-${between(r, 10, 99)}`;
    const fact = `The courier on route ${route} leaves dock ${between(r, 1, 40)} at ${String(between(r, 5, 22)).padStart(2, "0")}:${String(between(r, 0, 59)).padStart(2, "0")}.`;
    facts.push(fact);
    length += fact.length + 1;
  }
  const asked = pick(r, facts).replace(/ leaves dock .*$/, "");
  return { document: facts.join(" "), question: `${asked} leaves dock` };
}
