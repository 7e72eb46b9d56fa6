package ai.adaptserve.cache;

import java.util.List;

/** What {@link AdapterStore#list} found: the adapters, or why the durable tier could not be asked. */
public sealed interface AdapterListing {

    /**
     * The adapters in the durable tier, in id order, at most the number asked for.
     *
     * @param adapters what was found
     * @param truncated whether more exist than were returned
     */
    record Listed(List<ListedAdapter> adapters, boolean truncated) implements AdapterListing {
        public Listed {
            adapters = List.copyOf(adapters);
        }
    }

    /** The durable tier is down or timed out: not an absence, the same listing may succeed later. */
    record Unavailable(String why) implements AdapterListing {}
}
