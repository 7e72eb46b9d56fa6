package ai.adaptserve.function.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

/** A bug answers 500 with a generic message and a reference, never the library's own text. */
class UnexpectedExceptionMapperTest {

    @Test
    void libraryException_genericMessageWithReference() {
        // Given an exception whose text names library internals and a path
        Exception e = new IllegalStateException(
                "ai.djl.engine.EngineException: PyTorch error at /tmp/adaptserve/builtin/model.pt",
                new RuntimeException("c10::Error"));

        // When it is mapped twice
        Response first = new UnexpectedExceptionMapper().toResponse(e);
        Response second = new UnexpectedExceptionMapper().toResponse(e);

        // Then the client gets 500 internal, a reference id, and none of the exception's text
        assertEquals(500, first.getStatus());
        ErrorResponse body = (ErrorResponse) first.getEntity();
        assertEquals("internal", body.error().code());
        String message = body.error().message();
        assertTrue(message.matches("internal error; reference [0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"), message);
        for (String leak : new String[] {"djl", "Engine", "PyTorch", "/tmp", "IllegalState", "c10"}) {
            assertFalse(message.contains(leak), message);
        }
        // and each incident has its own reference
        assertNotEquals(message, ((ErrorResponse) second.getEntity()).error().message());
    }
}
