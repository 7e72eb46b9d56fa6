package ai.adaptserve.cache;

/** Bytes read from a tier are not a valid adapter for the key they were read for. */
final class BadEntryException extends Exception {

    /** What may be done with the entry. */
    enum Kind {
        /** Damaged, truncated or misplaced bytes: deleted from the tier it was read from, a miss. */
        CORRUPT,
        /**
         * Intact as far as this instance can tell, but not readable here (a newer format or kind, or larger than this
         * instance's own {@code max-adapter-bytes}): left in place, since other instances may read it.
         */
        UNREADABLE_HERE,
        /**
         * Its HMAC does not match this instance's key (a planted entry, or instances configured with different keys):
         * refused and left in place, so that a misconfigured instance cannot wipe the fleet's adapters.
         */
        UNAUTHENTICATED
    }

    private final String reason;
    private final Kind kind;

    private BadEntryException(String reason, String detail, Kind kind) {
        super(reason + ": " + detail, null, false, false);
        this.reason = reason;
        this.kind = kind;
    }

    /** Damaged, truncated or misplaced bytes: delete them and treat the read as a miss. */
    static BadEntryException corrupt(String reason, String detail) {
        return new BadEntryException(reason, detail, Kind.CORRUPT);
    }

    /** An intact entry this instance cannot read (a newer format or kind, its own size limit): left in place. */
    static BadEntryException unsupported(String reason, String detail) {
        return new BadEntryException(reason, detail, Kind.UNREADABLE_HERE);
    }

    /** An entry whose HMAC is wrong or missing: refused, left in place. */
    static BadEntryException unauthenticated(String reason, String detail) {
        return new BadEntryException(reason, detail, Kind.UNAUTHENTICATED);
    }

    /** Short machine-readable reason, used as a metric tag: {@code truncated}, {@code payload-checksum}, ... */
    String reason() {
        return reason;
    }

    Kind kind() {
        return kind;
    }

    boolean deletable() {
        return kind == Kind.CORRUPT;
    }
}
