package ai.adaptserve.lab.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** How a few-shot task is answered in an evaluation. Every strategy sees the demonstrations in context. */
public enum Strategy {
    /** The base model, greedy. */
    BASE("base"),
    /** The base model under every augmentation, answers mapped back and voted on. */
    VOTE("vote"),
    /** The router's family's expert z-vector (the base model when the router says none). */
    SVF("svf"),
    /** The true family's expert (the base model for a task of no training family): the router's upper bound. */
    SVF_ORACLE("svf-oracle"),
    /** Transformer²'s few-shot strategy: a CEM search over mixtures of every expert, scored on the demonstrations. */
    CEM("cem"),
    /** A LoRA trained on the demonstrations (leave-one-out, augmented), greedy. */
    TTT("ttt"),
    /** That LoRA under every augmentation, voted on: the service's {@code "vote": "augmented"}. */
    TTT_VOTE("ttt+vote"),
    /** That LoRA, N samples, the most frequent answer: the service's {@code "samples": N}. */
    TTT_MAJORITY("ttt+majority"),
    /** The same samples, the most probable one: {@code "vote": "logprob"}. */
    TTT_LOGPROB("ttt+logprob"),
    /** The same samples, the answer with the most probability mass: {@code "vote": "weighted"}. */
    TTT_WEIGHTED("ttt+weighted"),
    /** The same samples, the answer the example verifier scores best: {@code "vote": "verifier"}. */
    TTT_VERIFIER("ttt+verifier");

    /** Whether the strategy chooses among sampled answers of the test-time-trained LoRA. */
    public boolean sampled() {
        return this == TTT_MAJORITY || this == TTT_LOGPROB || this == TTT_WEIGHTED || this == TTT_VERIFIER;
    }

    private final String label;

    Strategy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Optional<Strategy> byLabel(String label) {
        return Arrays.stream(values()).filter(s -> s.label.equals(label)).findFirst();
    }

    /** Parses {@code base,svf,ttt}; the order of the list is kept. */
    public static List<Strategy> parseList(String list) {
        List<Strategy> out = new ArrayList<>();
        for (String name : list.split(",")) {
            String n = name.trim();
            Strategy s = byLabel(n)
                    .orElseThrow(() -> new IllegalArgumentException("unknown strategy " + n + "; known: "
                            + Arrays.stream(values()).map(Strategy::label).toList()));
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no strategy given");
        }
        return List.copyOf(out);
    }
}
