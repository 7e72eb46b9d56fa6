// The Gatling runner (load-tests/gatling) ports lib/tasks.ts to Java (Rng, Zipf, Tasks) so that both runners send the
// same requests for the same seed (hence the same adapter ids). Here both generate the same list (few-shot tasks,
// prompts of every expert family, documents, Zipf ranks) and must agree line for line. The Java files use only the
// JDK, so they are compiled here with javac, without Gatling.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { REPO } from "../lib/terraform.mjs";

const JAVA_SRC = join(REPO, "load-tests/gatling/src/test/java/ai/adaptserve/load");
const FAMILIES = ["reverse", "sort", "rotate", "caesar", "upper", "dedup", "add", "shift", "mirror", "recolour", "fill", "gravity", "substitute"];

async function tasksModule(dir) {
  const source = readFileSync(join(REPO, "load-tests/lib/tasks.ts"), "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 } }).outputText;
  const path = join(dir, "tasks.mjs");
  writeFileSync(path, js);
  return import(path);
}

function fromTypeScript(t) {
  const out = [];
  for (let i = 0; i < 30; i++) {
    const k = t.novelTask(`20261201:storm:0:${i}`, 3, 6, 10);
    out.push(`${k.examples.map((e) => `${e.input}>${e.output}`).join(" ")} | ${k.prompt} | ${k.expected}`);
  }
  const r = t.random("x:experts");
  for (let i = 0; i < 260; i++) {
    const p = t.expertPrompt(r, FAMILIES[i % FAMILIES.length], 6, 10);
    out.push(`${p.prompt}|${p.expected}`);
  }
  for (let i = 0; i < 5; i++) {
    const d = t.documentFor(`20261201:document:${i}`, 1200);
    out.push(`${d.question}|${d.document}`);
  }
  const z = new t.Zipf(20, 1.1);
  const rz = t.random("z");
  out.push(Array.from({ length: 200 }, () => z.sample(rz)).join(","));
  return out;
}

const HARNESS = `package ai.adaptserve.load;
import java.util.*;
public class PortCheck {
  public static void main(String[] a) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      var k = Tasks.novelTask("20261201:storm:0:" + i, 3, 6, 10);
      StringJoiner ex = new StringJoiner(" ");
      k.examples().forEach(e -> ex.add(e.input() + ">" + e.output()));
      out.add(ex + " | " + k.prompt() + " | " + k.expected());
    }
    String[] fams = {${FAMILIES.map((f) => `"${f}"`).join(", ")}};
    Rng r = new Rng("x:experts");
    for (int i = 0; i < 260; i++) {
      var p = Tasks.expertPrompt(r, fams[i % fams.length], 6, 10);
      out.add(p.prompt() + "|" + p.expected());
    }
    for (int i = 0; i < 5; i++) {
      var d = Tasks.documentFor("20261201:document:" + i, 1200);
      out.add(d.question() + "|" + d.document());
    }
    Zipf z = new Zipf(20, 1.1);
    Rng rz = new Rng("z");
    StringJoiner zs = new StringJoiner(",");
    for (int i = 0; i < 200; i++) zs.add(String.valueOf(z.sample(rz)));
    out.add(zs.toString());
    System.out.print(String.join("\\n", out));
  }
}
`;

function javaHome() {
  return process.env.JAVA_HOME || execFileSync(join(REPO, "bin/java-home"), { encoding: "utf8" }).trim();
}

test("the Gatling runner's Java port of lib/tasks.ts sends the same requests for the same seeds", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gatling-port-"));
  const expected = fromTypeScript(await tasksModule(dir));
  const src = join(dir, "src/ai/adaptserve/load");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "PortCheck.java"), HARNESS);
  const bin = join(javaHome(), "bin");
  execFileSync(join(bin, "javac"), ["-d", join(dir, "classes"), ...["Rng", "Zipf", "Tasks"].map((c) => join(JAVA_SRC, `${c}.java`)), join(src, "PortCheck.java")]);
  const actual = execFileSync(join(bin, "java"), ["-cp", join(dir, "classes"), "ai.adaptserve.load.PortCheck"], { encoding: "utf8" }).split("\n");
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.equal(actual[i], expected[i], `line ${i + 1}`);
});
