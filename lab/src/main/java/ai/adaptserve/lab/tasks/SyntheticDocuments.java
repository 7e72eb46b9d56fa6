package ai.adaptserve.lab.tasks;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Long synthetic documents for document test-time training: an operations log of tickets, hosts and people, a few
 * KB each. Every document draws its own entities and facts, so they can only be known from the document itself.
 *
 * <p>Facts are stated in lines of the form {@code <time> <subject> <attribute>: <value>} with the attributes of
 * {@link #FACT_ATTRIBUTES}: {@code T-104 owner: alice}, {@code T-104 host: db-3}, {@code T-104 priority: P2},
 * {@code T-104 service: billing}, {@code db-3 region: eu-west}, {@code alice team: payments}. A fact never changes
 * within a document. Around them run notes, alerts, deploys and status changes that mention the same entities.
 *
 * <p>The {@code document} (the part to train on) opens every ticket and states its facts; the held-out
 * {@code continuation} goes on with the same tickets, people and hosts only, restating some facts and summarising
 * the tickets. The questions ({@value #QUESTIONS} per document) ask for facts stated in the document: one hop
 * ({@code owner of T-104?}) or two ({@code region of host of T-104?}).
 */
public final class SyntheticDocuments {
    public static final int QUESTIONS = 10;
    public static final List<String> FACT_ATTRIBUTES =
            List.of("owner", "host", "priority", "service", "region", "team");

    private static final List<String> NAMES = List.of(
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
            "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara", "zoe", "quinn", "uma", "xena");
    private static final List<String> TEAMS =
            List.of("platform", "storage", "payments", "identity", "growth", "mobile", "data", "security");
    private static final List<String> HOST_KINDS =
            List.of("db", "web", "cache", "api", "queue", "auth", "batch", "edge");
    private static final List<String> REGIONS =
            List.of("eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-east", "sa-east");
    private static final List<String> SERVICES = List.of(
            "billing", "checkout", "login", "search", "reports", "email", "uploads", "invoices", "profiles", "exports");
    private static final List<String> SYMPTOMS = List.of(
            "timeouts",
            "500 errors",
            "slow pages",
            "failed jobs",
            "stale cache",
            "high latency",
            "dropped requests",
            "disk full alerts");
    private static final List<String> ACTIONS =
            List.of("restarted", "rolled back", "scaled up", "drained", "patched", "reindexed", "moved", "paused");
    private static final List<String> METRICS = List.of("cpu", "memory", "disk", "load");
    private static final List<String> PRIORITIES = List.of("P1", "P2", "P3", "P4");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm");

    private SyntheticDocuments() {}

    private record Ticket(
            String id, String owner, String reporter, String host, String service, String priority, String symptom) {}

    /** {@code count} documents, ids {@code doc-0001…}; document i depends only on the seed and i. */
    public static List<DocumentTask> generate(int count, long seed) {
        List<DocumentTask> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String id = String.format("doc-%04d", i + 1);
            out.add(document(id, new Random(TaskGenerator.derive(seed, id))));
        }
        return out;
    }

    static DocumentTask document(String id, Random r) {
        List<String> people = pick(r, NAMES, Operations.between(r, 5, 7));
        Map<String, String> teams = new LinkedHashMap<>();
        people.forEach(p -> teams.put(p, TEAMS.get(r.nextInt(TEAMS.size()))));
        Set<String> hostNames = new java.util.LinkedHashSet<>();
        int hostCount = Operations.between(r, 4, 6);
        while (hostNames.size() < hostCount) {
            hostNames.add(HOST_KINDS.get(r.nextInt(HOST_KINDS.size())) + "-" + Operations.between(r, 1, 20));
        }
        Map<String, String> regions = new LinkedHashMap<>();
        hostNames.forEach(h -> regions.put(h, REGIONS.get(r.nextInt(REGIONS.size()))));
        List<String> hosts = new ArrayList<>(hostNames);

        Set<String> ticketIds = new java.util.LinkedHashSet<>();
        int ticketCount = Operations.between(r, 6, 8);
        while (ticketIds.size() < ticketCount) {
            ticketIds.add("T-" + Operations.between(r, 100, 999));
        }
        List<Ticket> tickets = new ArrayList<>();
        for (String t : ticketIds) {
            String owner = people.get(r.nextInt(people.size()));
            String reporter;
            do {
                reporter = people.get(r.nextInt(people.size()));
            } while (reporter.equals(owner));
            tickets.add(new Ticket(
                    t,
                    owner,
                    reporter,
                    hosts.get(r.nextInt(hosts.size())),
                    SERVICES.get(r.nextInt(SERVICES.size())),
                    PRIORITIES.get(r.nextInt(PRIORITIES.size())),
                    SYMPTOMS.get(r.nextInt(SYMPTOMS.size()))));
        }

        // The document: every ticket opened with its facts, then work on it.
        List<Deque<String>> opening = new ArrayList<>();
        for (Ticket t : tickets) {
            Deque<String> lines = new ArrayDeque<>();
            lines.add(t.id + " opened by " + t.reporter + ": " + t.service + " " + t.symptom);
            lines.add(t.id + " service: " + t.service);
            lines.add(t.id + " priority: " + t.priority);
            lines.add(t.id + " owner: " + t.owner);
            lines.add(t.id + " host: " + t.host);
            lines.add(t.id + " status: investigating");
            int notes = Operations.between(r, 2, 4);
            for (int n = 0; n < notes; n++) {
                lines.add(note(r, t));
            }
            opening.add(lines);
        }
        Set<String> introduced = new HashSet<>();
        List<String> documentLines = new ArrayList<>();
        for (String line : interleave(r, opening, hosts, tickets)) {
            documentLines.add(line);
            for (String word : line.split("[^A-Za-z0-9-]+")) {
                if (regions.containsKey(word) && introduced.add(word)) {
                    documentLines.add(word + " region: " + regions.get(word));
                } else if (teams.containsKey(word) && introduced.add(word)) {
                    documentLines.add(word + " team: " + teams.get(word));
                }
            }
        }

        // The continuation: the same tickets go on and close; some facts restated, then a summary.
        List<Deque<String>> closing = new ArrayList<>();
        List<String> knownHosts = hosts.stream().filter(introduced::contains).toList();
        for (Ticket t : tickets) {
            Deque<String> lines = new ArrayDeque<>();
            int notes = Operations.between(r, 1, 2);
            for (int n = 0; n < notes; n++) {
                lines.add(note(r, t));
            }
            if (r.nextBoolean()) {
                lines.add(t.id + " owner: " + t.owner);
            } else {
                lines.add(t.host + " region: " + regions.get(t.host));
            }
            lines.add(t.owner + " on " + t.id + ": " + t.service + " on " + t.host + " is healthy again");
            lines.add(t.id + " status: resolved");
            closing.add(lines);
        }
        List<String> continuationLines = new ArrayList<>(interleave(r, closing, knownHosts, tickets));
        for (Ticket t : tickets) {
            continuationLines.add("summary " + t.id + ": owner " + t.owner + " (" + teams.get(t.owner) + "), host "
                    + t.host + " (" + regions.get(t.host) + "), " + t.service + ", " + t.priority + ", resolved");
        }

        LocalDateTime clock = LocalDateTime.of(2024, Operations.between(r, 1, 12), Operations.between(r, 1, 28), 8, 0);
        StringBuilder document = new StringBuilder("# ops log " + id + "\n");
        for (String line : documentLines) {
            clock = clock.plusMinutes(Operations.between(r, 1, 9));
            document.append(TIME.format(clock)).append(' ').append(line).append('\n');
        }
        StringBuilder continuation = new StringBuilder();
        for (String line : continuationLines) {
            clock = clock.plusMinutes(Operations.between(r, 1, 9));
            continuation.append(TIME.format(clock)).append(' ').append(line).append('\n');
        }

        List<DocumentTask.Question> candidates = new ArrayList<>();
        for (Ticket t : tickets) {
            candidates.add(new DocumentTask.Question("owner of " + t.id + "?", t.owner));
            candidates.add(new DocumentTask.Question("host of " + t.id + "?", t.host));
            candidates.add(new DocumentTask.Question("priority of " + t.id + "?", t.priority));
            candidates.add(new DocumentTask.Question("service of " + t.id + "?", t.service));
            candidates.add(new DocumentTask.Question("region of host of " + t.id + "?", regions.get(t.host)));
            candidates.add(new DocumentTask.Question("team of owner of " + t.id + "?", teams.get(t.owner)));
        }
        for (String h : hosts) {
            if (introduced.contains(h)) {
                candidates.add(new DocumentTask.Question("region of " + h + "?", regions.get(h)));
            }
        }
        for (String p : people) {
            if (introduced.contains(p)) {
                candidates.add(new DocumentTask.Question("team of " + p + "?", teams.get(p)));
            }
        }
        Collections.shuffle(candidates, r);
        return new DocumentTask(
                id,
                document.toString(),
                continuation.toString(),
                candidates.subList(0, Math.min(QUESTIONS, candidates.size())));
    }

    private static String note(Random r, Ticket t) {
        return switch (r.nextInt(4)) {
            case 0 ->
                t.owner + " on " + t.id + ": " + ACTIONS.get(r.nextInt(ACTIONS.size())) + " " + t.service + " on "
                        + t.host;
            case 1 ->
                t.host + " " + METRICS.get(r.nextInt(METRICS.size())) + ": " + Operations.between(r, 70, 99) + "%";
            case 2 -> t.reporter + " on " + t.id + ": still seeing " + t.symptom;
            default -> t.id + " status: " + (r.nextBoolean() ? "waiting on " + t.reporter : "investigating");
        };
    }

    /** The lists merged in random order (each list's order kept), with deploy lines now and then. */
    private static List<String> interleave(
            Random r, List<Deque<String>> lists, List<String> hosts, List<Ticket> tickets) {
        List<Deque<String>> open = new ArrayList<>(lists);
        open.removeIf(Deque::isEmpty);
        List<String> out = new ArrayList<>();
        while (!open.isEmpty()) {
            int remaining = open.stream().mapToInt(Deque::size).sum();
            int pick = r.nextInt(remaining);
            for (Deque<String> list : open) {
                if (pick < list.size()) {
                    out.add(list.removeFirst());
                    break;
                }
                pick -= list.size();
            }
            open.removeIf(Deque::isEmpty);
            if (!hosts.isEmpty() && r.nextInt(8) == 0) {
                Ticket t = tickets.get(r.nextInt(tickets.size()));
                out.add("deploy " + t.service + " v1." + r.nextInt(10) + "." + r.nextInt(10) + " to "
                        + hosts.get(r.nextInt(hosts.size())));
            }
        }
        return out;
    }

    private static List<String> pick(Random r, List<String> from, int n) {
        List<String> copy = new ArrayList<>(from);
        Collections.shuffle(copy, r);
        return new ArrayList<>(copy.subList(0, n));
    }
}
