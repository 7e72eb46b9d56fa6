package ai.adaptserve.lab.tasks;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.model.Sha256;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The seeded task suite: train / val / test tasks of the training families, the novel split, and documents.
 *
 * <pre>
 * generate --out DIR --seed N [--train 13000] [--val 520] [--test 1040] [--novel 850] [--docs 40]
 * </pre>
 *
 * writes {@code train.jsonl}, {@code val.jsonl}, {@code test.jsonl}, {@code novel.jsonl}, {@code docs.jsonl} and a
 * {@code README.md} (families, counts, checksums, the command) into DIR. The same arguments give byte-identical
 * files on any machine: every random draw comes from {@link java.util.Random}, whose sequence Java specifies.
 */
public final class TaskSuite {
    /** How many records each file gets. */
    public record Counts(int train, int val, int test, int novel, int docs) {
        public static final Counts DEFAULT = new Counts(13_000, 520, 1_040, 850, 40);

        public Counts {
            if (train < 0 || val < 0 || test < 0 || novel < 0 || docs < 0) {
                throw new IllegalArgumentException("counts must not be negative");
            }
        }
    }

    /** A generated suite, in memory. */
    public record Suite(
            List<FewShotTask> train,
            List<FewShotTask> val,
            List<FewShotTask> test,
            List<FewShotTask> novel,
            List<DocumentTask> docs) {}

    public static final String COMMAND_PREFIX = "bin/task-suite";

    private TaskSuite() {}

    public static Suite generate(long seed, Counts counts) {
        TaskGenerator splits = new TaskGenerator();
        List<FewShotTask> train =
                splits.split("train", counts.train(), new Random(TaskGenerator.derive(seed, "train")));
        List<FewShotTask> val = splits.split("val", counts.val(), new Random(TaskGenerator.derive(seed, "val")));
        List<FewShotTask> test = splits.split("test", counts.test(), new Random(TaskGenerator.derive(seed, "test")));
        List<FewShotTask> novel = NovelTasks.generate(counts.novel(), new Random(TaskGenerator.derive(seed, "novel")));
        List<DocumentTask> docs = SyntheticDocuments.generate(counts.docs(), TaskGenerator.derive(seed, "docs"));
        return new Suite(train, val, test, novel, docs);
    }

    /** Generates the suite and writes its files into {@code dir}; returns the file names with their SHA-256. */
    public static Map<String, String> write(Path dir, long seed, Counts counts) throws IOException {
        Suite suite = generate(seed, counts);
        Files.createDirectories(dir);
        TaskFiles.write(dir.resolve("train.jsonl"), suite.train());
        TaskFiles.write(dir.resolve("val.jsonl"), suite.val());
        TaskFiles.write(dir.resolve("test.jsonl"), suite.test());
        TaskFiles.write(dir.resolve("novel.jsonl"), suite.novel());
        TaskFiles.writeDocuments(dir.resolve("docs.jsonl"), suite.docs());
        Map<String, String> sums = new LinkedHashMap<>();
        for (String name : List.of("train.jsonl", "val.jsonl", "test.jsonl", "novel.jsonl", "docs.jsonl")) {
            sums.put(name, Sha256.hex(dir.resolve(name)));
        }
        Files.writeString(dir.resolve("README.md"), readme(seed, counts, sums), StandardCharsets.UTF_8);
        return sums;
    }

    /** The arguments that regenerate a suite (with {@code OUT} standing for the output directory). */
    public static String arguments(long seed, Counts counts) {
        return "generate --out OUT --seed " + seed + " --train " + counts.train() + " --val " + counts.val()
                + " --test " + counts.test() + " --novel " + counts.novel() + " --docs " + counts.docs();
    }

    static String readme(long seed, Counts counts, Map<String, String> sums) {
        StringBuilder md = new StringBuilder();
        md.append("# AdaptServe task suite (seed ").append(seed).append(")\n\n");
        md.append("Few-shot tasks in the eval format of design.md (one JSON object per line:\n")
                .append(
                        "`id`, `family`, `examples` of `{input, output}`, `input`, `output`, and `params`, the hidden\n")
                .append("per-task parameters), and documents for document test-time training. Written by\n")
                .append("`ai.adaptserve.lab.tasks.TaskSuite`; the same command writes byte-identical files.\n\n");
        md.append("## Command\n\nFrom the repository root (replace `OUT` by the directory):\n\n");
        md.append("```bash\n")
                .append(COMMAND_PREFIX)
                .append(' ')
                .append(arguments(seed, counts))
                .append("\n```\n\n");
        md.append("## Files\n\n| file | records | what | sha256 |\n| --- | --- | --- | --- |\n");
        Map<String, String> what = Map.of(
                "train.jsonl", "training families, for training the base model and the expert adapters",
                "val.jsonl", "training families, new instances, for model selection",
                "test.jsonl", "training families, new instances, for reported figures",
                "novel.jsonl", "families never trained on: compositions, parameters out of range, new operations",
                "docs.jsonl", "logs with facts: `document`, held-out `continuation`, `questions`");
        Map<String, Integer> records = Map.of(
                "train.jsonl", counts.train(),
                "val.jsonl", counts.val(),
                "test.jsonl", counts.test(),
                "novel.jsonl", counts.novel(),
                "docs.jsonl", counts.docs());
        sums.forEach((name, sum) -> md.append("| `")
                .append(name)
                .append("` | ")
                .append(records.get(name))
                .append(" | ")
                .append(what.get(name))
                .append(" | `")
                .append(sum)
                .append("` |\n"));
        md.append("\nEvery task has ")
                .append(TaskGenerator.MIN_DEMOS)
                .append("–")
                .append(TaskGenerator.MAX_DEMOS)
                .append(" demonstrations and a test pair; the function changes every input, and the demos\n")
                .append("make the test answerable. val and test are disjoint from train (and test from val): no task\n")
                .append(
                        "shares family, test input and demonstrations with an earlier split, and no held-out test input\n")
                .append(
                        "occurs with the same family and parameters in an earlier split, as test input or demonstration.\n")
                .append("Families take turns, so the splits are balanced.\n\n");
        md.append("## Training families (train, val, test)\n\n")
                .append("Text inputs: 3–8 lower-case letters (`a+b` for add). Grid inputs: 1-D rows of 6–12 cells as\n")
                .append("digit strings, 0 the background and 1–9 colours.\n\n")
                .append("| family | domain | function | parameters |\n| --- | --- | --- | --- |\n");
        for (TaskFamily f : TaskFamily.values()) {
            md.append("| `")
                    .append(f.label())
                    .append("` | ")
                    .append(f.domain().name().toLowerCase(java.util.Locale.ROOT))
                    .append(" | ")
                    .append(f.description())
                    .append(" | ")
                    .append(f.parameters())
                    .append(" |\n");
        }
        md.append("\n## Novel families (novel.jsonl only)\n\n")
                .append("`novel:compose:a+b` applies `a`, then `b` (parameters from the training ranges, recorded as\n")
                .append(
                        "`a.k`, …); `novel:range:f` uses parameters outside the training range (rotate k 4–5, caesar k 5–9,\n")
                .append("shift k 3–4, add with operands 100–999); `novel:op:f` are operations absent from training\n")
                .append(
                        "(swap-pairs `abcdef`→`badcfe`, interleave `abcdef`→`adbecf`, double `abc`→`aabbcc`, count: coloured\n")
                .append(
                        "cells as a digit, hollow: runs of 3+ cells keep only their ends). These labels are descriptive,\n")
                .append("not families the service knows; do not send them as the API's `task`.\n\n");
        for (String label : NovelTasks.families()) {
            md.append("- `").append(label).append("`\n");
        }
        md.append("\n## Prompts\n\n")
                .append(
                        "`PromptFormat.render(task, withDemos, phrasing)` ends where the answer starts; the answer is the\n")
                .append(
                        "output followed by `\\n` (the stop string). Phrasings: 0 generic `in: x\\nout: ` (no family named),\n")
                .append("1 arrow `reverse: x -> y; x -> `, 2 instruction `Reverse the text.\\nx => y\\nx => `,\n")
                .append("3 qa `Task: reverse\\nQ: x\\nA: y\\nQ: x\\nA: `. Novel tasks are called `task` in prompts.\n")
                .append("Prompts with demonstrations stay within ")
                .append(PromptFormat.MAX_DEMO_PROMPT_BYTES)
                .append(" bytes.\n\n");
        md.append("## Documents\n\n")
                .append("Each record: `document` (a few KB of log to train on; facts stated as\n")
                .append(
                        "`<time> <subject> <attribute>: <value>`, e.g. `T-104 owner: alice`, `db-3 region: eu-west`),\n")
                .append("`continuation` (held out: the same tickets go on, some facts restated), and ")
                .append(SyntheticDocuments.QUESTIONS)
                .append(" `questions`\n")
                .append(
                        "with exact answers stated in `document` (prompt `Q: owner of T-104? A: `, answer then `\\n`).\n");
        return md.toString();
    }

    public static void main(String[] args) {
        CommandArgs.exitWith(run(args, System.out, System.err));
    }

    static final String USAGE =
            "usage: TaskSuite generate --out DIR --seed N [--train N] [--val N] [--test N] [--novel N] [--docs N]";

    /** Runs the command line; returns the exit code (0 done, 1 failed, 2 bad arguments). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("generate")) {
            err.println(USAGE);
            return 2;
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            String name = args[i];
            if (!List.of("--out", "--seed", "--train", "--val", "--test", "--novel", "--docs")
                            .contains(name)
                    || i + 1 >= args.length) {
                err.println("unknown option or missing value: " + name + "\n" + USAGE);
                return 2;
            }
            options.put(name, args[i + 1]);
        }
        if (!options.containsKey("--out") || !options.containsKey("--seed")) {
            err.println("--out and --seed are required\n" + USAGE);
            return 2;
        }
        long seed;
        Counts counts;
        try {
            seed = Long.parseLong(options.get("--seed"));
            Counts d = Counts.DEFAULT;
            counts = new Counts(
                    count(options, "--train", d.train()),
                    count(options, "--val", d.val()),
                    count(options, "--test", d.test()),
                    count(options, "--novel", d.novel()),
                    count(options, "--docs", d.docs()));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage() + "\n" + USAGE);
            return 2;
        }
        Path dir = Path.of(options.get("--out"));
        try {
            Map<String, String> sums = write(dir, seed, counts);
            out.println("wrote " + dir.resolve("README.md"));
            sums.forEach((name, sum) -> out.println("wrote " + dir.resolve(name) + "  sha256 " + sum));
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("task suite generation failed: " + e);
            return 1;
        }
    }

    private static int count(Map<String, String> options, String name, int fallback) {
        String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 0) {
                throw new IllegalArgumentException(name + " must not be negative: " + value);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number: " + value, e);
        }
    }
}
