// Steady mixed load for bin/fault-injection and bin/soak: a single-file Java program (java FaultLoad.java ...), no
// dependencies. Hot requests (prompts the built-in experts answer, no training) and new few-shot tasks (3 examples of
// a fresh recolouring rule: one test-time training each, each sent twice) go through the load balancer from a few
// clients for a set time. Then every adapter id a client was given is read back with GET /v1/adapters/{id}. Prints one
// TSV line: sent, hot sent, new sent, failed by kind:status, distinct new tasks, answers with tier "trained", adapter
// ids given, ids lost (not 200 on read-back after retrying outages).
//
//   java FaultLoad.java <base-url> <seconds> <clients> <new-task-share 0..1> <seed> <out-dir>
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class FaultLoad {
    static final String[] HOT = {
        "rotate 3: yjglkz -> ", "rotate 2: abcdef -> ", "reverse: hello -> ", "rotate 1: qwerty -> "
    };
    static final Pattern ID = Pattern.compile("\"adapter\"\\s*:\\s*\\{\\s*\"id\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"");
    static final Pattern TIER = Pattern.compile("\"tier\"\\s*:\\s*\"([a-z]+)\"");

    public static void main(String[] args) throws Exception {
        String base = args[0];
        long seconds = Long.parseLong(args[1]);
        int clients = Integer.parseInt(args[2]);
        double newShare = Double.parseDouble(args[3]);
        long seed = Long.parseLong(args[4]);
        Path out = Path.of(args[5]);
        Files.createDirectories(out);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, AtomicInteger> failed = new ConcurrentHashMap<>();
        AtomicLong sent = new AtomicLong();
        AtomicInteger hotSent = new AtomicInteger();
        AtomicInteger newSent = new AtomicInteger();
        AtomicInteger trainedHere = new AtomicInteger();
        Set<String> ids = new ConcurrentSkipListSet<>();
        AtomicInteger taskCounter = new AtomicInteger();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        for (int c = 0; c < clients; c++) {
            Random random = new Random(seed * 1000 + c);
            threads.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < deadline) {
                    boolean fresh = random.nextDouble() < newShare;
                    // Each new task is drawn twice in a row (usually by two clients at once): one training is
                    // expected per task, so trainings beyond the tasks are duplicates.
                    String body = fresh ? newTask(seed, (taskCounter.incrementAndGet() + 1) / 2) : hot(random);
                    (fresh ? newSent : hotSent).incrementAndGet();
                    sent.incrementAndGet();
                    String kind = fresh ? "new" : "hot";
                    try {
                        HttpResponse<String> r = http.send(
                                HttpRequest.newBuilder(URI.create(base + "/v1/generate"))
                                        .timeout(Duration.ofSeconds(180))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(body))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            failed.computeIfAbsent(kind + ":" + r.statusCode(), k -> new AtomicInteger())
                                    .incrementAndGet();
                            synchronized (log) {
                                log.append(kind).append(' ').append(r.statusCode()).append(' ')
                                        .append(r.body().replace('\n', ' ')).append('\n');
                            }
                            continue;
                        }
                        if (fresh) {
                            Matcher m = ID.matcher(r.body());
                            if (m.find()) {
                                ids.add(m.group(1));
                            }
                            Matcher t = TIER.matcher(r.body());
                            if (t.find() && t.group(1).equals("trained")) {
                                trainedHere.incrementAndGet();
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        failed.computeIfAbsent(kind + ":io", k -> new AtomicInteger()).incrementAndGet();
                        synchronized (log) {
                            log.append(kind).append(" io ").append(e).append('\n');
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        // Read back every adapter id a client was given (after the fault is over: the driver is run to cover it).
        int lost = 0;
        StringBuilder lostLog = new StringBuilder();
        for (String id : ids) {
            int status = -1;
            for (int attempt = 0; attempt < 5 && status != 200; attempt++) {
                try {
                    status = http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/v1/adapters/" + id))
                                            .timeout(Duration.ofSeconds(30))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode();
                } catch (IOException e) {
                    status = -1;
                }
                if (status == 503 || status == -1) {
                    Thread.sleep(2000); // an outage is retried; a 404 is a loss
                } else {
                    break;
                }
            }
            if (status != 200) {
                lost++;
                lostLog.append(id).append(' ').append(status).append('\n');
            }
        }
        Files.writeString(out.resolve("errors.log"), log.toString());
        Files.writeString(out.resolve("lost.log"), lostLog.toString());
        Files.write(out.resolve("ids.txt"), ids);
        StringBuilder failures = new StringBuilder();
        new TreeMap<>(failed).forEach((k, v) -> failures.append(failures.isEmpty() ? "" : " ").append(k).append('=').append(v));
        System.out.println(String.join("\t",
                Long.toString(sent.get()),
                Integer.toString(hotSent.get()),
                Integer.toString(newSent.get()),
                failures.isEmpty() ? "none" : failures.toString(),
                Integer.toString((taskCounter.get() + 1) / 2),
                Integer.toString(trainedHere.get()),
                Integer.toString(ids.size()),
                Integer.toString(lost)));
    }

    static String hot(Random random) {
        return "{\"prompt\": \"" + HOT[random.nextInt(HOT.length)] + "\", \"max_tokens\": 8}";
    }

    /** A fresh 1-D recolouring task (colour a becomes b) with 3 examples, unique to (seed, n). */
    static String newTask(long seed, int n) {
        Random r = new Random(seed * 1_000_003L + n * 7919L);
        int a = 1 + r.nextInt(9);
        int b = 1 + r.nextInt(9);
        if (b == a) {
            b = a % 9 + 1;
        }
        StringBuilder ex = new StringBuilder();
        for (int k = 0; k < 3; k++) {
            String row = row(r, a);
            ex.append(k == 0 ? "" : ", ")
                    .append("{\"input\": \"").append(row).append("\", \"output\": \"")
                    .append(row.replace((char) ('0' + a), (char) ('0' + b))).append("\"}");
        }
        return "{\"prompt\": \"" + row(r, a) + "\", \"max_tokens\": 12, \"examples\": [" + ex + "]}";
    }

    static String row(Random r, int a) {
        StringBuilder s = new StringBuilder();
        int len = 8 + r.nextInt(5);
        for (int i = 0; i < len; i++) {
            s.append(r.nextInt(3) == 0 ? (char) ('0' + a) : (char) ('0' + r.nextInt(10)));
        }
        return s.toString();
    }
}
