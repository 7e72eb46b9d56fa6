package ai.adaptserve.load;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;

/**
 * smoke.ts: one client, every request kind once, with the same checks: readiness, the model list, an expert, a
 * few-shot task trained here, the same task again (cached, same id), its adapter by id, a document.
 */
final class Smoke {
    private final ScenarioSimulation sim;

    Smoke(ScenarioSimulation sim) {
        this.sim = sim;
    }

    private Session check(Session s, String name, boolean ok) {
        sim.tally().check(name, ok);
        return s;
    }

    ChainBuilder chain() {
        var d = sim.defaults();
        int rowMin = d.path("task").path("row_min").asInt();
        int rowMax = d.path("task").path("row_max").asInt();
        int demos = d.path("task").path("demos").asInt();
        String family = sim.file().experts().isEmpty() ? "reverse" : sim.file().experts().get(0);
        String runSeed = sim.seed() + ":smoke:" + System.currentTimeMillis();
        Tasks.FewShotTask task = Tasks.novelTask(runSeed, demos, rowMin, rowMax);
        return exec(http("GET /q/health/ready").get("/q/health/ready").check(status().saveAs("status")))
                .exec(s -> check(s, "ready: 200", s.getInt("status") == 200).remove("status"))
                .exec(http("GET /v1/models")
                        .get("/v1/models")
                        .check(status().saveAs("status"), bodyString().saveAs("response")))
                .exec(s -> check(
                                s,
                                "models: 200 with a list",
                                s.getInt("status") == 200 && s.getString("response").contains("\"data\""))
                        .remove("status")
                        .remove("response"))
                .exec(s -> {
                    Tasks.ExpertPrompt p = Tasks.expertPrompt(new Rng(sim.seed() + ":smoke"), family, rowMin, rowMax);
                    return sim.request(s, "smoke", sim.json("prompt", p.prompt(), "task", family), p.expected());
                })
                .exec(sim.generate())
                .exec(s -> check(
                        s,
                        "expert: svf adapter from memory",
                        s.getString("answerId").equals("expert:" + family)
                                && s.getString("answerTier").equals("memory")))
                .exec(s -> sim.request(s, "smoke", sim.fewShot(task), task.expected()))
                .exec(sim.generate())
                .exec(s -> check(
                                s,
                                "few-shot: trained, with an id",
                                s.getString("answerTier").equals("trained")
                                        && s.getLong("answerTrainMs") > 0
                                        && !s.getString("answerId").isEmpty())
                        .set("firstId", s.getString("answerId")))
                .exec(s -> sim.request(s, "smoke", sim.fewShot(task), task.expected()))
                .exec(sim.generate())
                .exec(s -> check(
                        s,
                        "few-shot again: cached, same id",
                        !s.getString("answerTier").equals("trained")
                                && !s.getString("answerTier").equals("error")
                                && s.getString("answerId").equals(s.getString("firstId"))))
                .exec(s -> sim.request(
                        s, "smoke", sim.json("prompt", task.prompt(), "adapter", s.getString("firstId")), task.expected()))
                .exec(sim.generate())
                .exec(s -> check(
                        s,
                        "adapter by id: same adapter",
                        !s.getString("firstId").isEmpty() && s.getString("answerId").equals(s.getString("firstId"))))
                .exec(s -> {
                    Tasks.Document doc = Tasks.documentFor(
                            sim.seed() + ":smoke-document:" + System.currentTimeMillis(),
                            d.path("document").path("chars").asInt());
                    return sim.request(
                            s, "smoke", sim.json("prompt", doc.question(), "document", doc.document()), null);
                })
                .exec(sim.generate())
                .exec(s -> check(
                        s,
                        "document: trained lora",
                        s.getString("answerTier").equals("trained") && !s.getString("answerId").isEmpty()));
    }
}
