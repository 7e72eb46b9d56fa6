// Loads every Terraform configuration directory under terraform/ through @cdktf/hcl2json (the HCL parser
// Terraform's own JSON syntax mirrors) and offers the few look-ups the policy tests need: blocks by type,
// variable defaults, locals, and a small, conservative resolver of expressions. An expression the resolver cannot
// evaluate comes back as UNKNOWN, and every policy treats UNKNOWN as the worst case.
import { parse } from "@cdktf/hcl2json";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const TERRAFORM = join(REPO, "terraform");
export const UNKNOWN = Symbol("unknown");

/** Every file under dir whose name ends with one of the suffixes, sorted. */
export function findFiles(dir, suffixes) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findFiles(path, suffixes));
    else if (suffixes.some((s) => name.endsWith(s))) out.push(path);
  }
  return out;
}

/** Parses one .tf file; throws with the file name on a syntax error. */
export async function parseFile(path) {
  try {
    return await parse(relative(REPO, path), readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${relative(REPO, path)}: ${e.message}`);
  }
}

/** One Terraform configuration directory (a module or an example): all its .tf files merged. */
export class Config {
  constructor(dir, parsed) {
    this.dir = dir;
    this.name = relative(REPO, dir);
    this.resource = {};
    this.data = {};
    this.variable = {};
    this.locals = {};
    this.module = {};
    this.output = {};
    for (const doc of parsed) {
      for (const kind of ["resource", "data"]) {
        for (const [type, byName] of Object.entries(doc[kind] ?? {})) {
          this[kind][type] ??= {};
          for (const [name, bodies] of Object.entries(byName)) this[kind][type][name] = bodies[0];
        }
      }
      for (const kind of ["variable", "module", "output"]) {
        for (const [name, bodies] of Object.entries(doc[kind] ?? {})) this[kind][name] = bodies[0];
      }
      for (const block of doc.locals ?? []) Object.assign(this.locals, block);
    }
  }

  /** [name, body] of every resource (or data source with kind "data") of a type. */
  blocks(type, kind = "resource") {
    return Object.entries(this[kind][type] ?? {});
  }

  /** A deep copy (for the tests that show each policy can fail). */
  clone() {
    const copy = Object.create(Object.getPrototypeOf(this));
    for (const k of ["dir", "name", "resource", "data", "variable", "locals", "module", "output", "inputs"]) {
      if (k in this) copy[k] = structuredClone(this[k]);
    }
    return copy;
  }

  /** The configuration's values of its variables: overrides (a module call's arguments) over the defaults. */
  withInputs(inputs) {
    const copy = Object.create(this);
    copy.inputs = inputs;
    return copy;
  }

  variableValue(name) {
    if (this.inputs && name in this.inputs) return this.inputs[name];
    const v = this.variable[name];
    if (!v || !("default" in v)) return UNKNOWN;
    return v.default;
  }

  /**
   * The possible values of an expression: an array of candidates, or UNKNOWN. Handles literals, var.* (defaults or
   * the inputs given), local.*, a conditional whose branches it can resolve, and toset()/tolist() of those.
   */
  possible(value, depth = 0) {
    if (depth > 10) return UNKNOWN;
    if (typeof value !== "string") return [value];
    const m = /^\$\{(.*)\}$/s.exec(value);
    if (!m || hasInterpolation(m[1])) return hasInterpolation(value) ? UNKNOWN : [value];
    return this.possibleExpr(m[1].trim(), depth);
  }

  possibleExpr(expr, depth) {
    let m;
    if ((m = /^var\.([A-Za-z0-9_]+)$/.exec(expr))) {
      const v = this.variableValue(m[1]);
      return v === UNKNOWN ? UNKNOWN : this.possible(v, depth + 1);
    }
    if ((m = /^local\.([A-Za-z0-9_]+)$/.exec(expr))) {
      return m[1] in this.locals ? this.possible(this.locals[m[1]], depth + 1) : UNKNOWN;
    }
    if ((m = /^(?:toset|tolist)\((.*)\)$/s.exec(expr))) return this.possibleExpr(m[1].trim(), depth + 1);
    if (expr === "[]") return [[]];
    if ((m = /^\[(.*)\]$/s.exec(expr)) && !/^\s*for\s/.test(m[1])) {
      // A list literal whose elements each have one value.
      const items = splitTopLevel(m[1], ",").filter((x) => x.trim() !== "");
      const values = [];
      for (const item of items) {
        const p = this.possibleExpr(item.trim(), depth + 1);
        if (p === UNKNOWN || p.length !== 1) return UNKNOWN;
        values.push(p[0]);
      }
      return [values];
    }
    if ((m = /^"([^"$%\\]*)"$/.exec(expr))) return [m[1]];
    if (/^-?[0-9]+(\.[0-9]+)?$/.test(expr)) return [Number(expr)];
    if (expr === "true" || expr === "false" || expr === "null") return [JSON.parse(expr)];
    const ternary = splitTernary(expr);
    if (ternary) {
      const a = this.possibleExpr(ternary[1], depth + 1);
      const b = this.possibleExpr(ternary[2], depth + 1);
      return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : [...a, ...b];
    }
    return UNKNOWN;
  }

  /** The single value of an expression, or UNKNOWN when it has none or several. */
  value(value) {
    const p = this.possible(value);
    return p !== UNKNOWN && p.length === 1 ? p[0] : UNKNOWN;
  }

  /**
   * The values each.value takes in a block with for_each (each element of the set or list), flattened over the
   * possible for_each values; UNKNOWN if any is not resolvable.
   */
  eachValues(body) {
    if (!("for_each" in body)) return [];
    const p = this.possible(body.for_each);
    if (p === UNKNOWN) return UNKNOWN;
    const out = [];
    for (const candidate of p) {
      if (Array.isArray(candidate)) out.push(...candidate);
      else if (candidate && typeof candidate === "object") out.push(...Object.values(candidate));
      else return UNKNOWN;
    }
    return out;
  }
}

function hasInterpolation(s) {
  return s.includes("${") || s.includes("%{");
}

/** expr split at the separator where it is outside brackets and strings. */
function splitTopLevel(expr, separator) {
  const out = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (depth === 0 && c === separator) {
      out.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  out.push(expr.slice(start));
  return out;
}

/** cond ? a : b at the top level of expr, or null. */
function splitTernary(expr) {
  let depth = 0;
  let inString = false;
  let q = -1;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (depth === 0 && c === "?" && q < 0) q = i;
    else if (depth === 0 && c === ":" && q >= 0) {
      return [expr.slice(0, q).trim(), expr.slice(q + 1, i).trim(), expr.slice(i + 1).trim()];
    }
  }
  return null;
}

/** The resource name in "${aws_security_group.alb.id}" (for the given type), or null. */
export function referencedName(value, type) {
  if (typeof value !== "string") return null;
  const m = new RegExp(`^\\$\\{${type}\\.([A-Za-z0-9_-]+)(\\[[^\\]]*\\])?\\.[a-z_]+\\}$`).exec(value);
  return m ? m[1] : null;
}

/** Every list element, whether the attribute is a list or a single value. */
export function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Parses every .tf under terraform/, grouped by directory. Cached. */
let loaded;
export async function loadAll() {
  if (loaded) return loaded;
  const files = findFiles(TERRAFORM, [".tf"]);
  const byDir = new Map();
  for (const f of files) {
    const dir = resolve(f, "..");
    if (!byDir.has(dir)) byDir.set(dir, []);
    byDir.get(dir).push(await parseFile(f));
  }
  const configs = [...byDir.entries()].map(([dir, parsed]) => new Config(dir, parsed));
  loaded = { files, configs };
  return loaded;
}

/**
 * Every configuration to check, with the variable values it gets: each configuration on its own defaults, and each
 * module once more as called from an example (the call's arguments resolved in the example, over the module's
 * defaults).
 */
export async function checkedConfigs() {
  const { configs } = await loadAll();
  const out = configs.map((c) => ({ label: `${c.name} (defaults)`, config: c }));
  for (const caller of configs) {
    for (const [callName, call] of Object.entries(caller.module)) {
      if (typeof call.source !== "string" || !call.source.startsWith(".")) continue;
      const target = configs.find((c) => c.dir === resolve(caller.dir, call.source));
      if (!target) continue;
      const inputs = {};
      for (const [k, v] of Object.entries(call)) {
        if (k in target.variable) inputs[k] = caller.value(v);
      }
      // An argument the resolver cannot evaluate stays UNKNOWN (worst case), not the module's default.
      out.push({ label: `${target.name} as module.${callName} of ${caller.name}`, config: target.withInputs(inputs) });
    }
  }
  return out;
}
