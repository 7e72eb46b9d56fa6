package ai.adaptserve.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELException;

/**
 * The global functions Hugging Face gives chat templates ({@code raise_exception}, {@code strftime_now}) and the
 * budget check that runs before every template node. Jinjava calls functions as static methods, so the state of
 * the render under way (its deadline, its clock, what the template raised) is kept per thread: a render runs on
 * the calling thread from start to end.
 */
final class TemplateFunctions {
    private TemplateFunctions() {}

    /** The render under way on this thread. */
    static final class RenderState {
        final long deadlineNanos;
        final Clock clock;
        volatile String raised;
        volatile boolean timedOut;

        RenderState(long deadlineNanos, Clock clock) {
            this.deadlineNanos = deadlineNanos;
            this.clock = clock;
        }

        boolean stopped() {
            return raised != null || timedOut;
        }
    }

    /** Thrown inside the engine to stop a render; it never leaves {@link ChatTemplate#render}. */
    static final class RenderStopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RenderStopped(String why) {
            super(why, null, false, false);
        }
    }

    private static final ThreadLocal<RenderState> STATE = new ThreadLocal<>();

    static RenderState begin(long deadlineNanos, Clock clock) {
        RenderState s = new RenderState(deadlineNanos, clock);
        STATE.set(s);
        return s;
    }

    static void end() {
        STATE.remove();
    }

    /**
     * Runs before each node the engine renders: stops the render once the template raised or the time is up, so
     * that a loop or a recursion cannot go on, whatever the engine does with the first exception.
     */
    static void beforeNode(Node node, JinjavaInterpreter interpreter) {
        RenderState s = STATE.get();
        if (s == null) {
            return;
        }
        if (!s.timedOut && System.nanoTime() - s.deadlineNanos > 0) {
            s.timedOut = true;
        }
        if (s.stopped()) {
            throw new RenderStopped(s.timedOut ? "time limit" : "raise_exception");
        }
    }

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    public static String raiseException(Object message) {
        String text = String.valueOf(message);
        RenderState s = STATE.get();
        if (s != null && s.raised == null) {
            s.raised = text;
        }
        throw new RenderStopped("raise_exception: " + text);
    }

    /**
     * Python's {@code range(stop)} / {@code range(start, stop[, step])}, refusing more than {@code limit} items
     * (Jinja2's sandbox refuses past 100,000). Jinjava's own cuts a longer range short without a word.
     */
    public static List<Long> range(Object first, Object... rest) {
        long start = 0;
        long stop;
        long step = 1;
        if (rest.length == 0) {
            stop = integer(first);
        } else {
            start = integer(first);
            stop = integer(rest[0]);
            if (rest.length > 1) {
                step = integer(rest[1]);
            }
            if (rest.length > 2) {
                throw new ELException("range() takes at most 3 arguments");
            }
        }
        if (step == 0) {
            throw new ELException("range() arg 3 must not be zero");
        }
        long count = step > 0
                ? (stop > start ? (stop - start + step - 1) / step : 0)
                : (start > stop ? (start - stop - step - 1) / -step : 0);
        if (count > ChatTemplate.MAX_RANGE) {
            throw new ELException("range() of " + count + " items is over the limit of " + ChatTemplate.MAX_RANGE);
        }
        List<Long> out = new ArrayList<>((int) count);
        for (long i = 0, v = start; i < count; i++, v += step) {
            out.add(v);
        }
        return out;
    }

    private static long integer(Object o) {
        if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
            return ((Number) o).longValue();
        }
        if (o instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        throw new ELException("range() needs integers, got " + (o == null ? "none" : o));
    }

    /** {@code strftime_now(format)}: the current date and time in a Python {@code strftime} format. */
    public static String strftimeNow(String format) {
        RenderState s = STATE.get();
        Clock clock = s != null ? s.clock : Clock.systemDefaultZone();
        return StrftimeFormatter.format(ZonedDateTime.now(clock), format, Locale.ENGLISH);
    }
}
