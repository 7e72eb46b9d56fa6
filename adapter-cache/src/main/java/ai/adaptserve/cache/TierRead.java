package ai.adaptserve.cache;

/** What one read of one tier gave. */
sealed interface TierRead {

    /** A verified entry. */
    record Hit(StoredAdapter adapter) implements TierRead {}

    /** The tier answered: it holds nothing usable for the key (a corrupt entry was deleted). */
    record Miss() implements TierRead {}

    /** The tier is down, timed out, or was skipped while down: it could not tell. */
    record Down(String why) implements TierRead {}

    /** The tier holds an entry this instance refuses but leaves in place (see {@link BadEntryException.Kind}). */
    record Refused(BadEntryException.Kind kind, String why) implements TierRead {}

    TierRead MISS = new Miss();
}
