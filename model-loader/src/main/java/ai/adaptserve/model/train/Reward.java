package ai.adaptserve.model.train;

/** Scores a sampled completion of a prompt for REINFORCE; higher is better. Called on the training thread. */
@FunctionalInterface
public interface Reward {
    double score(String prompt, String completion);
}
