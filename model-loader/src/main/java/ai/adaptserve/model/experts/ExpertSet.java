package ai.adaptserve.model.experts;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import ai.adaptserve.model.adapter.ZVector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The SVF expert z-vectors of a base model, one per label (a task family, or whatever the files are named), kept as verified adapter files
 * {@code <family>.safetensors} in one directory (see {@link AdapterFile}).
 */
public final class ExpertSet {
    /** The file name suffix of an expert. */
    public static final String SUFFIX = ".safetensors";
    /**
     * What an expert's label may be: the file name carries it and the API reports it ({@code expert:<label>}), so it
     * is kept to letters, digits and {@code _ . -}. Any label the files carry is served; nothing here knows families.
     */
    public static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final Map<String, ZVector> experts;

    public ExpertSet(Map<String, ZVector> experts) {
        this.experts = Collections.unmodifiableMap(new TreeMap<>(experts));
    }

    /** The families that have an expert, in name order. */
    public List<String> families() {
        return List.copyOf(experts.keySet());
    }

    public Optional<ZVector> expert(String family) {
        return Optional.ofNullable(family == null ? null : experts.get(family));
    }

    /** Every expert, in the order of {@link #families()}. */
    public List<ZVector> all() {
        return List.copyOf(experts.values());
    }

    public int size() {
        return experts.size();
    }

    /**
     * Reads every {@code <family>.safetensors} in {@code dir}: each is verified against the model (fingerprint, shapes,
     * checksum) and must be a z-vector; its label is its file name.
     *
     * @throws MalformedAdapterException naming the file that fails
     */
    public static ExpertSet load(Path dir, LoadedModel model) throws IOException, MalformedAdapterException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("expert directory " + dir + " does not exist");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = new ArrayList<>(
                    s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList());
        }
        Collections.sort(files);
        Map<String, ZVector> out = new TreeMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            String family = name.substring(0, name.length() - SUFFIX.length());
            if (!LABEL.matcher(family).matches()) {
                throw new MalformedAdapterException(
                        f + ": an expert's label (its file name) must match " + LABEL.pattern() + ", was " + family);
            }
            Adapter a = AdapterFile.read(f, model.fingerprint(), model.config()).adapter();
            if (!(a instanceof ZVector z)) {
                throw new MalformedAdapterException(f + ": an expert must be a z-vector, this is " + a.kind());
            }
            out.put(family, z);
        }
        return new ExpertSet(out);
    }

    /** Writes one expert file. */
    public static void write(Path dir, String family, ZVector z, String baseFingerprint, String training)
            throws IOException {
        Files.createDirectories(dir);
        AdapterFile.write(
                dir.resolve(family + SUFFIX), z, new AdapterFile.Metadata(baseFingerprint, Instant.now(), training));
    }
}
