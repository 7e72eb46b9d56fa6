package ai.adaptserve.function.openai;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Log-probabilities and the top-k selection, against a naive reference (normalise in double, sort everything). */
class TokenLogprobsTest {

    @Test
    void logprobsAndTop_matchNaiveSoftmaxAndFullSort() {
        Random random = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            int vocab = 5 + random.nextInt(300);
            float[] logits = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                logits[i] = (float) (random.nextGaussian() * 4 + (i % 7 == 0 ? 30 : 0));
            }
            logits[random.nextInt(vocab)] = logits[0]; // a tie
            int chosen = random.nextInt(vocab);
            int k = 1 + random.nextInt(Math.min(vocab, 20));

            double z = 0;
            for (float l : logits) {
                z += Math.exp((double) l);
            }
            double naiveChosen = Math.log(Math.exp((double) logits[chosen]) / z);
            int[] naiveTop = IntStream.range(0, vocab)
                    .boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparing(i -> i))
                    .limit(k)
                    .mapToInt(Integer::intValue)
                    .toArray();

            TokenLogprobs.Entry e = TokenLogprobs.of(chosen, logits, k, id -> "t" + id);
            assertEquals(naiveChosen, e.logprob(), 1e-6);
            assertArrayEquals(naiveTop, TokenLogprobs.topIds(logits, k), Arrays.toString(logits));
            assertEquals("t" + naiveTop[0], e.topLogprobs().get(0).token());
            assertEquals("t" + chosen, e.token());
        }
    }
}
