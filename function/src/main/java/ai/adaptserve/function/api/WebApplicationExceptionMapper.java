package ai.adaptserve.function.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

/**
 * Answers the framework's own HTTP errors (404, 405, 406, 415, …) in the API's JSON shape instead of an empty or
 * HTML page.
 */
@Provider
public class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {

    private static final Logger LOG = Logger.getLogger(WebApplicationExceptionMapper.class);

    @Override
    public Response toResponse(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        String message = status >= 500
                ? UnexpectedExceptionMapper.logged(LOG, "Server error", e)
                : ErrorCodes.messageForStatus(status);
        Response.ResponseBuilder response = Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorResponse.of(ErrorCodes.forStatus(status), message));
        if (e.getResponse() != null && status == 405) {
            String allow = e.getResponse().getHeaderString("Allow");
            if (allow != null) {
                response.header("Allow", allow);
            }
        }
        return response.build();
    }
}
