package ai.adaptserve.cache;

/** Bytes read from a tier are not a valid adapter for the key they were read for. */
final class BadEntryException extends Exception {

    private final String reason;
    private final boolean deletable;

    private BadEntryException(String reason, String detail, boolean deletable) {
        super(reason + ": " + detail, null, false, false);
        this.reason = reason;
        this.deletable = deletable;
    }

    /** Damaged, truncated, oversized or misplaced bytes: delete them and treat the read as a miss. */
    static BadEntryException corrupt(String reason, String detail) {
        return new BadEntryException(reason, detail, true);
    }

    /** An intact entry this version cannot read (a newer format or kind): a miss, but left in place. */
    static BadEntryException unsupported(String reason, String detail) {
        return new BadEntryException(reason, detail, false);
    }

    /** Short machine-readable reason, used as a metric tag: {@code truncated}, {@code payload-checksum}, ... */
    String reason() {
        return reason;
    }

    boolean deletable() {
        return deletable;
    }
}
