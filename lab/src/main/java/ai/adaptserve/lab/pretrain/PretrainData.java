package ai.adaptserve.lab.pretrain;

import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.Phrasing;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The built-in model's training sequences: few-shot tasks rendered in the in-context format of {@link PromptFormat},
 * as byte tokens {@code BOS, prompt, answer, "\n", EOS}, and a seeded stream of length-bucketed mini-batches.
 */
public final class PretrainData {
    /** Mini-batches are cut from a pool of this many batches' worth of sequences sorted by length. */
    static final int POOL_BATCHES = 8;

    private PretrainData() {}

    /**
     * One training sequence.
     *
     * @param family the task's family label
     * @param tokens {@code BOS}, the prompt's bytes, the answer's bytes (output and {@code "\n"}), {@code EOS}
     * @param answerFrom index of the answer's first token; the prompt is {@code tokens[1, answerFrom)}
     * @param demoOutput per token, whether it is a demonstration's output inside the prompt (or the delimiter right
     *     after it): an answer to the same task given the demonstrations before it, trained like one
     * @param withDemos whether the prompt carries the task's demonstrations
     * @param phrasing the {@link PromptFormat} phrasing
     */
    public record Example(
            String family, int[] tokens, int answerFrom, boolean[] demoOutput, boolean withDemos, Phrasing phrasing) {
        public Example {
            if (answerFrom < 1 || answerFrom >= tokens.length) {
                throw new IllegalArgumentException("no answer in a sequence of " + tokens.length + " tokens");
            }
            if (demoOutput.length != tokens.length) {
                throw new IllegalArgumentException("demoOutput must have one entry per token");
            }
        }

        /** The prompt as text (what generation starts from). */
        public String prompt() {
            byte[] b = new byte[answerFrom - 1];
            for (int i = 1; i < answerFrom; i++) {
                b[i - 1] = (byte) tokens[i];
            }
            return new String(b, StandardCharsets.UTF_8);
        }

        /** The expected output, without the terminator. */
        public String output() {
            int end = tokens.length - 2; // drop "\n" and EOS
            byte[] b = new byte[end - answerFrom];
            for (int i = answerFrom; i < end; i++) {
                b[i - answerFrom] = (byte) tokens[i];
            }
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /** {@code task} rendered with or without its demonstrations in one phrasing. */
    public static Example example(FewShotTask task, boolean withDemos, Phrasing phrasing) {
        String text = PromptFormat.render(task, withDemos, phrasing);
        byte[] prompt = text.getBytes(StandardCharsets.UTF_8);
        byte[] answer = PromptFormat.completion(task).getBytes(StandardCharsets.UTF_8);
        int[] t = new int[prompt.length + answer.length + 2];
        t[0] = ByteTokenizer.BOS;
        for (int i = 0; i < prompt.length; i++) {
            t[1 + i] = prompt[i] & 0xff;
        }
        for (int i = 0; i < answer.length; i++) {
            t[1 + prompt.length + i] = answer[i] & 0xff;
        }
        t[t.length - 1] = ByteTokenizer.EOS;
        boolean[] demoOutput = new boolean[t.length];
        if (withDemos) {
            markDemoOutputs(task, phrasing, text, demoOutput);
        }
        return new Example(task.family(), t, 1 + prompt.length, demoOutput, withDemos, phrasing);
    }

    /**
     * Marks, at token index {@code 1 + byte offset}, each demonstration's output and the delimiter after it. Where
     * they are follows from the phrasing's layout, read off a probe rendering with marker characters: every
     * demonstration is {@code input, separator, output, follower}, in order.
     */
    private static void markDemoOutputs(FewShotTask task, Phrasing phrasing, String prompt, boolean[] mark) {
        String probe = PromptFormat.render(
                task.family(), task.params(), List.of(new Demonstration("\u0001", "\u0002")), "\u0003", phrasing);
        int in = probe.indexOf('\u0001');
        int out = probe.indexOf('\u0002');
        int next = probe.indexOf('\u0003');
        String separator = probe.substring(in + 1, out);
        String follower = probe.substring(out + 1, next);
        int cursor = 0;
        for (Demonstration d : task.examples()) {
            String piece = d.input() + separator + d.output() + follower;
            int at = prompt.indexOf(piece, cursor);
            if (at < 0) {
                throw new IllegalStateException("demonstration " + d + " not found in the " + phrasing + " prompt");
            }
            int from = at + d.input().length() + separator.length();
            int to = from + d.output().length() + Math.min(1, follower.length());
            int byteFrom = utf8Length(prompt.substring(0, from));
            int byteTo = byteFrom + utf8Length(prompt.substring(from, to));
            for (int b = byteFrom; b < byteTo; b++) {
                mark[1 + b] = true;
            }
            cursor = at + piece.length() - follower.length();
        }
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * A random rendering of {@code task}: with probability {@code demoShare} its demonstrations in any of the
     * phrasings, otherwise no demonstrations in a phrasing that names the family (falling back to demonstrations
     * when the family is not answerable without them).
     */
    public static Example draw(FewShotTask task, double demoShare, Random random) {
        if (random.nextDouble() < demoShare) {
            return example(task, true, Phrasing.at(random.nextInt(PromptFormat.PHRASINGS)));
        }
        Phrasing phrasing = Phrasing.at(1 + random.nextInt(PromptFormat.PHRASINGS - 1));
        return example(task, !PromptFormat.answerable(task, false, phrasing), phrasing);
    }

    /**
     * The evaluation renderings of {@code tasks}: task {@code i} with its demonstrations in phrasing {@code i mod 4},
     * or (with {@code withDemos} false) without them in phrasing {@code 1 + i mod 3}, skipping tasks that are not
     * answerable that way.
     */
    public static List<Example> evaluation(List<FewShotTask> tasks, boolean withDemos) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            FewShotTask t = tasks.get(i);
            Phrasing phrasing =
                    Phrasing.at(withDemos ? i % PromptFormat.PHRASINGS : 1 + i % (PromptFormat.PHRASINGS - 1));
            if (PromptFormat.answerable(t, withDemos, phrasing)) {
                out.add(example(t, withDemos, phrasing));
            }
        }
        return out;
    }

    /**
     * An endless, seeded stream of mini-batches over {@code tasks}: {@value #POOL_BATCHES} batches' worth of random
     * renderings are drawn, sorted by length (less padding), cut into batches, and handed out in shuffled order.
     */
    public static final class Batches {
        private final List<FewShotTask> tasks;
        private final int batchSize;
        private final double demoShare;
        private final Random random;
        private final List<List<Example>> ready = new ArrayList<>();

        public Batches(List<FewShotTask> tasks, int batchSize, double demoShare, long seed) {
            if (tasks.isEmpty()) {
                throw new IllegalArgumentException("no training tasks");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, was " + batchSize);
            }
            if (!(demoShare >= 0 && demoShare <= 1)) {
                throw new IllegalArgumentException("demo share must be in [0, 1], was " + demoShare);
            }
            this.tasks = List.copyOf(tasks);
            this.batchSize = batchSize;
            this.demoShare = demoShare;
            this.random = new Random(seed);
        }

        public List<Example> next() {
            if (ready.isEmpty()) {
                List<Example> pool = new ArrayList<>(batchSize * POOL_BATCHES);
                for (int i = 0; i < batchSize * POOL_BATCHES; i++) {
                    pool.add(draw(tasks.get(random.nextInt(tasks.size())), demoShare, random));
                }
                pool.sort(Comparator.comparingInt(e -> e.tokens().length));
                for (int i = 0; i < pool.size(); i += batchSize) {
                    ready.add(List.copyOf(pool.subList(i, i + batchSize)));
                }
                Collections.shuffle(ready, random);
            }
            return ready.remove(ready.size() - 1);
        }
    }
}
