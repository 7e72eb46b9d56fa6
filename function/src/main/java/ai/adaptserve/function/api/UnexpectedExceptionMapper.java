package ai.adaptserve.function.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The last resort: any exception no other mapper takes is a bug. It is logged with an id, and the client gets 500
 * {@code internal} with that id only, never the exception's text or stack trace.
 */
@Provider
public class UnexpectedExceptionMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = Logger.getLogger(UnexpectedExceptionMapper.class);

    @Override
    public Response toResponse(Throwable e) {
        return Response.status(500)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorResponse.of(ErrorCodes.INTERNAL, logged(LOG, "Unexpected error", e)))
                .build();
    }

    /**
     * Logs {@code e} (which may be null) under a new id and returns the message the client gets instead: a generic
     * text and that id, never the exception's own text (library internals, file paths).
     */
    static String logged(Logger log, String what, Throwable e) {
        String id = UUID.randomUUID().toString();
        log.errorf(e, "%s, reference %s", what, id);
        return "internal error; reference " + id;
    }
}
