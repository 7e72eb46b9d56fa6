package ai.adaptserve.model.chat;

import ai.adaptserve.model.chat.ChatTemplateException.Reason;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.AutoCloseableSupplier.AutoCloseableImpl;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.errorcategory.BasicTemplateErrorCategory;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TreeParser;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import jinjava.javax.el.CompositeELResolver;

/**
 * A checkpoint's chat template: turns a conversation into the prompt text the instruct model was trained on, as
 * Hugging Face's {@code tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=...)} does.
 *
 * <p>The template is Jinja, rendered by Jinjava with the settings and globals transformers uses: {@code trim_blocks}
 * and {@code lstrip_blocks} on, the variables {@code messages}, {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token} and the other special tokens of {@code tokenizer_config.json}, and the functions {@code
 * raise_exception(message)} and {@code strftime_now(format)}. Where Jinjava differs from Jinja2 in what these
 * templates use it is brought in line (see {@link PythonMethods} and {@link PythonJson}); message text is never
 * itself treated as a template.
 *
 * <p>A template is untrusted input: it cannot read files or the class path, its output is bounded by {@link
 * Limits#maxOutputChars()} and its render time by {@link Limits#maxRenderTime()}, macro recursion is bounded, and
 * every failure is a {@link ChatTemplateException} naming the file the template came from.
 *
 * <p><b>BOS.</b> Some templates write the tokenizer's BOS token text themselves (Llama 3's {@code
 * <|begin_of_text|>}). Encode a rendered prompt with the tokenizer's own BOS only when {@link #startsWithBos} is
 * false, or the model sees two. Today {@code LoadedModel}/{@code BatchGenerator} always encode with BOS when
 * config.json has a {@code bos_token_id} (through the tokenizer.json post-processor, which adds it for Llama and
 * adds nothing for Qwen2.5 or SmolLM2), so a chat prompt must not go through that path unchanged.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ChatTemplate {
    /** Where Hugging Face checkpoints keep the template and the special tokens. */
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    /** Newer checkpoints keep the template in its own file, which wins over tokenizer_config.json's. */
    public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";
    /** The name of the template picked from the list form of {@code chat_template}. */
    public static final String DEFAULT_NAME = "default";

    /** Special-token fields of tokenizer_config.json passed to the template, as transformers passes them. */
    static final List<String> SPECIAL_TOKENS =
            List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    static final long MAX_CONFIG_BYTES = 64L << 20;
    static final int MAX_TEMPLATE_CHARS = 256 << 10;
    static final int MAX_COLLECTION = 1 << 16;
    static final int MAX_MACRO_DEPTH = 32;
    static final int MAX_RANGE = 1 << 16;
    private static final int MAX_MESSAGE_CHARS = 300;

    /**
     * The built-in model's template. That model (docs/builtin-model.md) knows no chat format: it was trained on
     * few-shot prompts whose generic phrasing is {@code in: <input>\nout: <output>\n}, its answer ending at the
     * newline. So a user turn is an input line, an assistant turn an output line, and the generation prompt is
     * {@code out: }; a conversation of demonstrations as user/assistant pairs renders exactly as that phrasing. A
     * system message is its own first line, as the instruction phrasing writes the instruction. The template
     * writes no BOS: the tokenizer adds {@code <s>}, as in training.
     */
    public static final String BUILTIN_TEMPLATE = "{%- for message in messages %}"
            + "{%- if message.role == 'system' %}{{ message.content + '\\n' }}"
            + "{%- elif message.role == 'user' %}{{ 'in: ' + message.content + '\\n' }}"
            + "{%- else %}{{ 'out: ' + message.content + '\\n' }}"
            + "{%- endif %}"
            + "{%- endfor %}"
            + "{%- if add_generation_prompt %}{{ 'out: ' }}{%- endif %}";
    /** The built-in model's answers end with a newline: the stop string for chat on it. */
    public static final String BUILTIN_STOP = "\n";

    private static final String BUILTIN_SOURCE = "built-in chat template";
    private static final Map<String, Object> BUILTIN_TOKENS =
            Map.of("bos_token", "<s>", "eos_token", "</s>", "pad_token", "<pad>");
    /** What {@code x is defined} sees for the global functions, as in Jinja2 where they are variables too. */
    private static final String FUNCTION_MARKER = "<function>";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Bounds on one render.
     *
     * @param maxOutputChars the longest prompt (and the longest string built on the way), in UTF-16 chars
     * @param maxRenderTime the longest a render may run
     */
    public record Limits(long maxOutputChars, Duration maxRenderTime) {
        /** 4 Mi chars (far above any context this service runs) and 2 seconds. */
        public static final Limits DEFAULT = new Limits(4L << 20, Duration.ofSeconds(2));

        public Limits {
            if (maxOutputChars < 1) {
                throw new IllegalArgumentException("maxOutputChars must be positive: " + maxOutputChars);
            }
            Objects.requireNonNull(maxRenderTime, "maxRenderTime");
            if (maxRenderTime.isNegative() || maxRenderTime.isZero()) {
                throw new IllegalArgumentException("maxRenderTime must be positive: " + maxRenderTime);
            }
        }
    }

    private final String source;
    private final String template;
    /** The text the engine renders: {@link #template} as Jinja2's lexer sees it. */
    private final String normalized;

    private final Map<String, Object> specialTokens;
    private final List<String> stops;
    private final Clock clock;
    private final Limits limits;
    private final Jinjava jinjava;

    private ChatTemplate(
            String source,
            String template,
            Map<String, Object> specialTokens,
            List<String> stops,
            Clock clock,
            Limits limits) {
        this.source = source;
        this.template = template;
        this.specialTokens = specialTokens;
        this.stops = stops;
        this.clock = clock;
        this.limits = limits;
        this.jinjava = engine(limits);
        this.normalized = JinjaSource.lstripBlocks(JinjaSource.jinja2Source(template), jinjava.getGlobalConfig());
        validate();
    }

    // ---------------------------------------------------------------- loading

    /**
     * The chat template of a Hugging Face checkpoint directory: {@value #CHAT_TEMPLATE_FILE} if present, else the
     * {@code chat_template} of {@value #TOKENIZER_CONFIG}; the special tokens come from {@value #TOKENIZER_CONFIG}.
     * Empty when the checkpoint has no template (a base model, or the built-in model: use {@link #builtin()}).
     *
     * @throws ChatTemplateException (reason {@link Reason#INVALID_TEMPLATE}) naming the file, for a malformed
     *     tokenizer_config.json or template
     * @throws UncheckedIOException when a file cannot be read
     */
    public static Optional<ChatTemplate> load(Path checkpointDir) {
        Path config = checkpointDir.resolve(TOKENIZER_CONFIG);
        Path separate = checkpointDir.resolve(CHAT_TEMPLATE_FILE);
        JsonNode root = Files.isRegularFile(config) ? TokenizerConfigFile.readConfig(config) : JSON.createObjectNode();
        Map<String, Object> tokens = TokenizerConfigFile.specialTokens(root, config);
        if (Files.isRegularFile(separate)) {
            String text = TokenizerConfigFile.readTemplateFile(separate);
            return Optional.of(new ChatTemplate(
                    separate.toString(), text, tokens, List.of(), Clock.systemDefaultZone(), Limits.DEFAULT));
        }
        if (!root.hasNonNull("chat_template")) {
            return Optional.empty();
        }
        return Optional.of(new ChatTemplate(
                config.toString(),
                TokenizerConfigFile.templateField(root, config),
                tokens,
                List.of(),
                Clock.systemDefaultZone(),
                Limits.DEFAULT));
    }

    /**
     * The template of one {@code tokenizer_config.json}.
     *
     * @throws ChatTemplateException naming the file when it has no {@code chat_template} or it is malformed
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfig) {
        JsonNode root = TokenizerConfigFile.readConfig(tokenizerConfig);
        if (!root.hasNonNull("chat_template")) {
            throw invalid(tokenizerConfig.toString(), "has no chat_template");
        }
        return new ChatTemplate(
                tokenizerConfig.toString(),
                TokenizerConfigFile.templateField(root, tokenizerConfig),
                TokenizerConfigFile.specialTokens(root, tokenizerConfig),
                List.of(),
                Clock.systemDefaultZone(),
                Limits.DEFAULT);
    }

    /**
     * A template given as text.
     *
     * @param source what to call it in errors (a file name, a model id)
     * @param specialTokens template variables such as {@code bos_token}, {@code eos_token}
     */
    public static ChatTemplate of(String source, String template, Map<String, String> specialTokens) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(template, "template");
        if (template.length() > MAX_TEMPLATE_CHARS) {
            throw invalid(
                    source,
                    "chat_template has " + template.length() + " characters; the limit is " + MAX_TEMPLATE_CHARS);
        }
        return new ChatTemplate(
                source, template, Map.copyOf(specialTokens), List.of(), Clock.systemDefaultZone(), Limits.DEFAULT);
    }

    /**
     * The built-in model's template ({@link #BUILTIN_TEMPLATE}); its answers stop at {@link #BUILTIN_STOP}, which
     * {@link #stopStrings()} returns.
     */
    public static ChatTemplate builtin() {
        return Builtin.INSTANCE;
    }

    private static final class Builtin {
        static final ChatTemplate INSTANCE = new ChatTemplate(
                BUILTIN_SOURCE,
                BUILTIN_TEMPLATE,
                BUILTIN_TOKENS,
                List.of(BUILTIN_STOP),
                Clock.systemDefaultZone(),
                Limits.DEFAULT);
    }

    /** This template with {@code strftime_now} reading {@code clock} (Llama 3.x writes today's date). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, template, specialTokens, stops, Objects.requireNonNull(clock), limits);
    }

    /** This template with other bounds on a render. */
    public ChatTemplate withLimits(Limits limits) {
        return new ChatTemplate(source, template, specialTokens, stops, clock, Objects.requireNonNull(limits));
    }

    // ---------------------------------------------------------------- rendering

    /**
     * The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's answer
     * starts.
     *
     * @throws IllegalArgumentException for an empty conversation
     * @throws ChatTemplateException when the template refuses the conversation ({@link Reason#REJECTED}, the
     *     message is the template's), fails, or runs past its limits
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one message");
        }
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("messages", turns);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("raise_exception", FUNCTION_MARKER);
        vars.put("strftime_now", FUNCTION_MARKER);

        TemplateFunctions.RenderState state = TemplateFunctions.begin(
                System.nanoTime() + limits.maxRenderTime().toNanos(), clock);
        RenderResult result;
        try {
            result = jinjava.renderForResult(normalized, vars);
        } catch (StackOverflowError e) {
            throw invalid(source, "chat_template nests too deeply to render");
        } finally {
            TemplateFunctions.end();
        }
        if (state.raised != null) {
            throw new ChatTemplateException(
                    Reason.REJECTED, source, "chat_template rejected the conversation: " + clean(state.raised));
        }
        if (state.timedOut) {
            throw new ChatTemplateException(
                    Reason.TIMEOUT,
                    source,
                    "rendering chat_template took longer than "
                            + limits.maxRenderTime().toMillis() + " ms and was stopped");
        }
        for (TemplateError error : result.getErrors()) {
            if (fatal(error)) {
                throw fromEngine(error);
            }
        }
        String out = result.getOutput();
        if (out.length() > limits.maxOutputChars()) {
            throw tooLarge();
        }
        return out;
    }

    /**
     * Whether {@code rendered} (a prompt from {@link #render}) already begins with the BOS token's text. Encode it
     * with {@code addBos = !startsWithBos(rendered)}: the tokenizer turns the text into the BOS id, and a second
     * one would be a prompt the model never saw in training.
     */
    public boolean startsWithBos(String rendered) {
        return bosToken().filter(b -> !b.isEmpty() && rendered.startsWith(b)).isPresent();
    }

    /** The BOS token's text from tokenizer_config.json, if it names one. */
    public Optional<String> bosToken() {
        return Optional.ofNullable((String) specialTokens.get("bos_token"));
    }

    /** The EOS token's text from tokenizer_config.json, if it names one. */
    public Optional<String> eosToken() {
        return Optional.ofNullable((String) specialTokens.get("eos_token"));
    }

    /**
     * Stop strings that chat on this model needs besides its EOS ids: {@link #BUILTIN_STOP} for the built-in
     * model, none for Hugging Face checkpoints (their templates end turns with EOS tokens).
     */
    public List<String> stopStrings() {
        return stops;
    }

    /** The special-token variables the template sees ({@code bos_token}, {@code eos_token}, …). */
    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    /** The Jinja source of the template. */
    public String template() {
        return template;
    }

    /** Where the template came from: a file path, or {@code built-in chat template}. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + source + "]";
    }

    // ---------------------------------------------------------------- engine

    private static Jinjava engine(Limits limits) {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // transformers: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True). Jinja2's
                // keep_trailing_newline=False acts on the template source (see jinja2Source); Jinjava's on the output.
                .withTrimBlocks(true)
                .withLstripBlocks(
                        false) // Jinjava's strips before every tag, not only at a line start: see lstripBlocks
                .withKeepTrailingNewline(true)
                // {{- x -}} trims like {%- -%} (Jinjava trims only around tags by default), and only a '-' right
                // next to the delimiter is whitespace control, as in Jinja2 ({{ -1 }} is minus one).
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .build())
                // Jinjava re-renders any output that contains "{{" by default: message text would run as a template.
                .withNestedInterpretationEnabled(false)
                .withMaxOutputSize(limits.maxOutputChars())
                .withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(MAX_COLLECTION)
                .withMaxMapSize(MAX_COLLECTION)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(MAX_MACRO_DEPTH)
                .withElResolver(resolver)
                .withInterperterFactory(new PythonOutput())
                .withProcessors(JinjavaProcessors.newBuilder()
                        .withNodePreProcessor(TemplateFunctions::beforeNode)
                        .build())
                // A filter that renders a string as a template would undo withNestedInterpretationEnabled(false).
                .withDisabled(Map.of(Context.Library.FILTER, Set.of("render")))
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, charset, interpreter) -> {
            throw new ResourceNotFoundException("chat templates cannot include or import other files ('" + name + "')");
        });
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "range", TemplateFunctions.class, "range", Object.class, Object[].class));
        jinjava.getGlobalContext().registerFilter(new PythonJson());
        return jinjava;
    }

    /**
     * Parses the template once, so that a malformed one fails when the checkpoint is loaded rather than on the
     * first request, and checks that every filter and test it names exists (Jinjava renders an unknown filter as
     * nothing, without an error).
     */
    private void validate() {
        try (AutoCloseableImpl<JinjavaInterpreter> current = JinjavaInterpreter.closeablePushCurrent(
                        jinjava.newInterpreter())
                .get()) {
            JinjavaInterpreter interpreter = current.value();
            Node root = new TreeParser(interpreter, normalized).buildTree();
            for (TemplateError error : interpreter.getErrors()) {
                // Jinjava only warns of an unclosed tag or comment, or an end tag without a start; Jinja2 refuses.
                if (error.getSeverity() == TemplateError.ErrorType.FATAL
                        || error.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR) {
                    throw fromEngine(error);
                }
            }
            Set<String> filters = new LinkedHashSet<>();
            Set<String> tests = new LinkedHashSet<>();
            JinjaSource.collectNames(root, filters, tests, source);
            for (String f : filters) {
                if (jinjava.getGlobalContext().getFilter(f) == null) {
                    throw invalid(
                            source, "chat_template uses the filter '" + f + "', which this engine does not provide");
                }
            }
            for (String t : tests) {
                if (jinjava.getGlobalContext().getExpTest(t) == null) {
                    throw invalid(
                            source, "chat_template uses the test '" + t + "', which this engine does not provide");
                }
            }
        } catch (StackOverflowError e) {
            throw invalid(source, "chat_template nests too deeply to parse");
        }
    }

    /**
     * Jinjava reports some failures as warnings and goes on: a macro past the recursion limit returns "" and a
     * {@code join} past the string limit is cut. Jinja2 fails on both, and a prompt with a part missing must not
     * reach the model. (Undefined variables, attributes and indices stay warnings: Jinja2 renders them empty.)
     */
    private static boolean fatal(TemplateError error) {
        if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
            return true;
        }
        String message = String.valueOf(error.getMessage());
        return error.getCategory() instanceof BasicTemplateErrorCategory c
                        && c.name().endsWith("CYCLE_DETECTED")
                || message.startsWith("Rendering cycle detected")
                || message.contains("has been truncated");
    }

    private ChatTemplateException fromEngine(TemplateError error) {
        if (error.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG
                || causedBy(error, OutputTooBigException.class)
                || String.valueOf(error.getMessage()).contains("has been truncated")) {
            return tooLarge();
        }
        if (error.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG) {
            return invalid(source, "chat_template built a list or map of more than " + MAX_COLLECTION + " entries");
        }
        String where = error.getLineno() > 0 ? "chat_template line " + error.getLineno() + ": " : "chat_template: ";
        String message = String.valueOf(error.getMessage());
        String root = rootMessage(error.getException());
        if (root != null
                && !message.contains(root)
                && (message.startsWith("Error invoking function") || message.startsWith("Error rendering tag"))) {
            message = message + ": " + root; // these say nothing by themselves
        }
        return invalid(source, where + clean(message));
    }

    private ChatTemplateException tooLarge() {
        return new ChatTemplateException(
                Reason.OUTPUT_TOO_LARGE,
                source,
                "the rendered chat prompt would exceed " + limits.maxOutputChars() + " characters");
    }

    private static String rootMessage(Throwable t) {
        String found = null;
        for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                found = t.getMessage();
            }
        }
        return found;
    }

    private static boolean causedBy(TemplateError error, Class<? extends Throwable> type) {
        String message = String.valueOf(error.getMessage());
        if (message.contains(type.getSimpleName())) {
            return true;
        }
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** One line of at most {@value #MAX_MESSAGE_CHARS} chars, without the engine's exception class names. */
    static String clean(String message) {
        String m = String.valueOf(message)
                .replaceAll("\\b(?:[a-z][\\w$]*\\.)*[A-Z][\\w$]*(?:Exception|Error): ", "")
                .replaceAll("[\\p{Cntrl}\\s]+", " ")
                .strip();
        return m.length() > MAX_MESSAGE_CHARS ? m.substring(0, MAX_MESSAGE_CHARS) + "…" : m;
    }

    static ChatTemplateException invalid(String source, String message) {
        return new ChatTemplateException(Reason.INVALID_TEMPLATE, source, message);
    }

    // ---------------------------------------------------------------- tokenizer_config.json

}
