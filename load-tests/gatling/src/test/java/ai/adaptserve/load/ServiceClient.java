package ai.adaptserve.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Calls outside the measured load: training the hot adapters before the run, reading the servers' training count
 * before and after; and the reading of an answer (client.ts parseAnswer), shared with the measured requests.
 */
final class ServiceClient {

    /** An answer: status, text, adapter tier ({@code error} for anything but a well-formed 200), id, train time. */
    record Answer(int status, String text, String tier, String adapterId, long trainMs) {}

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String baseUrl;
    private final String apiKey;

    ServiceClient(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
    }

    static Answer parse(int status, String body) {
        Answer error = new Answer(status, null, "error", null, 0);
        if (status != 200 || body == null) {
            return error;
        }
        JsonNode json;
        try {
            json = ScenarioFile.JSON.readTree(body);
        } catch (IOException e) {
            return error;
        }
        JsonNode text = json.path("text");
        JsonNode tier = json.path("adapter").path("tier");
        if (!text.isTextual() || !tier.isTextual()) {
            return error;
        }
        JsonNode id = json.path("adapter").path("id");
        return new Answer(
                200,
                text.asText(),
                tier.asText(),
                id.isTextual() ? id.asText() : null,
                json.path("adapter").path("train_ms").asLong(0));
    }

    private HttpRequest.Builder request(String url, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (apiKey != null && !apiKey.isBlank()) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    Answer generate(ObjectNode body, Duration timeout) {
        try {
            HttpResponse<String> r = http.send(
                    request(baseUrl + "/v1/generate", timeout)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return parse(r.statusCode(), r.body());
        } catch (IOException e) {
            return new Answer(0, null, "error", null, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, null, "error", null, 0);
        }
    }

    /** Sum of one Prometheus series over all its label sets (client.ts prometheusSum). */
    static double prometheusSum(String text, String name) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (!line.startsWith(name) || line.length() == name.length()) {
                continue;
            }
            char next = line.charAt(name.length());
            if (next != ' ' && next != '{') {
                continue;
            }
            try {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } catch (NumberFormatException e) {
                // a malformed line counts for nothing, as in client.ts
            }
        }
        return sum;
    }

    /** adapter_cache_trainings_started_total summed over the instances (null if one cannot be read). */
    Long trainingsStarted(List<String> metricsUrls) {
        double total = 0;
        for (String url : metricsUrls) {
            try {
                HttpResponse<String> r = http.send(
                        request(url, Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return null;
                }
                total += prometheusSum(r.body(), "adapter_cache_trainings_started_total");
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return Math.round(total);
    }
}
