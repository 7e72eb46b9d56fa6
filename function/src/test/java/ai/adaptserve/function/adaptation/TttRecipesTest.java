package ai.adaptserve.function.adaptation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.train.CemMixtureSearch;
import ai.adaptserve.model.ttt.DocumentRecipe;
import ai.adaptserve.model.ttt.TestTimeRecipe;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The lab measures the service's strategies with model-loader's default settings objects ({@code bin/eval},
 * {@code bin/eval-documents}); under the default configuration the service builds exactly those, so docs/results.md
 * describes what the service does. A changed {@code @WithDefault} without the matching constant fails here.
 */
class TttRecipesTest {

    private static TttRecipes recipes(Map<String, String> values) {
        Map<String, String> all = new java.util.HashMap<>();
        all.put("adaptserve.model.cache-dir", "unused-by-this-test");
        all.putAll(values);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                // no system sources: the test JVM's own adaptserve.* properties (fresh directories) are not this test's
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(all, "test", 500))
                .withMapping(AdaptServeConfig.class)
                .build();
        return new TttRecipes(
                config.getConfigMapping(AdaptServeConfig.class), ai.adaptserve.model.train.TrainingClock.SYSTEM);
    }

    @Test
    void defaults_areTheSettingsTheLabMeasures() {
        TttRecipes r = recipes(Map.of());

        assertEquals(DocumentRecipe.serviceDefaults(), r.documentRecipe());
        assertEquals(TestTimeRecipe.Config.defaults(), r.examples());
        assertEquals(CemMixtureSearch.Config.serviceDefaults(), r.cem());
    }

    @Test
    void documentSettings_comeFromTheirKeys() {
        TttRecipes r = recipes(Map.of(
                "adaptserve.ttt.document.passes", "3",
                "adaptserve.ttt.document.max-steps", "100",
                "adaptserve.ttt.document.max-wall-time", "7s"));

        assertEquals(3, r.documentRecipe().trainer().passes());
        assertEquals(100, r.documentRecipe().maxSteps());
        assertEquals(Duration.ofSeconds(7), r.documentRecipe().maxWallTime());
    }
}
