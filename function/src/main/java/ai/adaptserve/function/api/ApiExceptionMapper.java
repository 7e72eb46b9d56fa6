package ai.adaptserve.function.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Answers an {@link ApiException} with its status, headers and JSON error body. */
@Provider
public class ApiExceptionMapper implements ExceptionMapper<ApiException> {

    @Override
    public Response toResponse(ApiException e) {
        Response.ResponseBuilder response = Response.status(e.status())
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(e.body());
        e.headers().forEach(response::header);
        if (e.status() == 413) {
            // The rest of an oversized body is not read: the connection cannot be reused.
            response.header("Connection", "close");
        }
        return response.build();
    }
}
