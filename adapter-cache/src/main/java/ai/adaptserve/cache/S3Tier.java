package ai.adaptserve.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The durable tier on S3 (or any S3-compatible endpoint), through the AWS SDK v2 async client.
 *
 * <p>Object keys: {@code <prefix>[<tenant>/]adapters/<base-fingerprint>/<id>}; the training leases of
 * {@link S3TrainingLease} live beside them, under {@code <prefix>[<tenant>/]adapters/.leases/<base-fingerprint>/<id>}:
 * inside the prefix the instances' IAM policy and the bucket's lifecycle rule already cover, but never at an adapter's
 * key (no fingerprint starts with a dot), and never read, counted in a quota or listed as an adapter. Every call is bounded by
 * {@code s3.timeout} (retries included). Reads ask for a byte range of at most the largest valid envelope plus one
 * byte, so an oversized object cannot exhaust memory. Request and response checksums are only used where S3 requires
 * them (the envelope carries its own SHA-256), which keeps every S3-compatible endpoint working.
 */
final class S3Tier implements DurableTier {

    /** A lease body is a few short lines; anything longer is read truncated and is not ours. */
    static final int MAX_LEASE_BYTES = 4096;

    private final AdapterCacheConfig.S3 config;
    private final S3AsyncClient client;

    S3Tier(AdapterCacheConfig.S3 config) {
        this.config = config;
        AwsCredentialsProvider credentials = config.credentials()
                .<AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
        S3AsyncClientBuilder builder = S3AsyncClient.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(config.maxConcurrency())
                        .connectionTimeout(config.timeout())
                        .connectionAcquisitionTimeout(config.timeout()))
                .overrideConfiguration(o -> o.apiCallTimeout(config.timeout()).retryStrategy(RetryMode.STANDARD));
        config.endpoint().ifPresent(builder::endpointOverride);
        this.client = builder.build();
    }

    @Override
    public AdapterSource source() {
        return AdapterSource.S3;
    }

    String objectKey(AdapterKey key) {
        return folder(key.tenant(), key.baseFingerprint()) + key.id();
    }

    /** The key prefix of every adapter of one tenant (or none) and base model; ends with {@code /}. */
    private String folder(Optional<String> tenant, String baseFingerprint) {
        return config.prefix() + tenant.map(t -> t + "/").orElse("") + "adapters/" + baseFingerprint + "/";
    }

    String leaseKey(AdapterKey key) {
        return config.prefix()
                + key.tenant().map(t -> t + "/").orElse("")
                + "adapters/.leases/"
                + key.baseFingerprint()
                + "/"
                + key.id();
    }

    /** A lease object's body and the ETag S3 gave it (what a conditional write or delete names). */
    record LeaseObject(byte[] body, String etag) {}

    /** The lease object of {@code key}, or empty. */
    Optional<LeaseObject> getLease(AdapterKey key) throws TierUnavailableException {
        try {
            ResponseBytes<GetObjectResponse> bytes = Await.await(
                    client.getObject(
                            r -> r.bucket(config.bucket()).key(leaseKey(key)).range("bytes=0-" + MAX_LEASE_BYTES),
                            AsyncResponseTransformer.toBytes()),
                    config.timeout(),
                    "S3 GET lease " + leaseKey(key));
            return Optional.of(
                    new LeaseObject(bytes.asByteArray(), bytes.response().eTag()));
        } catch (TierUnavailableException e) {
            if (e.getCause() instanceof NoSuchKeyException
                    || (e.getCause() instanceof S3Exception s3 && s3.statusCode() == 404)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Creates the lease object ({@code If-None-Match: *}); its ETag, or empty if one exists. */
    Optional<String> createLease(AdapterKey key, byte[] body) throws TierUnavailableException {
        return putLease(key, body, null);
    }

    /** Replaces the lease object only if it still has {@code etag} ({@code If-Match}); the new ETag, or empty. */
    Optional<String> replaceLease(AdapterKey key, byte[] body, String etag) throws TierUnavailableException {
        return putLease(key, body, etag);
    }

    private Optional<String> putLease(AdapterKey key, byte[] body, String ifMatch) throws TierUnavailableException {
        try {
            return Optional.of(Await.await(
                            client.putObject(
                                    r -> {
                                        r.bucket(config.bucket())
                                                .key(leaseKey(key))
                                                .contentLength((long) body.length)
                                                .contentType("text/plain; charset=utf-8");
                                        if (ifMatch == null) {
                                            r.ifNoneMatch("*");
                                        } else {
                                            r.ifMatch(ifMatch);
                                        }
                                    },
                                    AsyncRequestBody.fromBytes(body)),
                            config.timeout(),
                            "S3 PUT lease " + leaseKey(key))
                    .eTag());
        } catch (TierUnavailableException e) {
            if (refusedCondition(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Deletes the lease object only if it still has {@code etag}; false if it has another or is gone. */
    boolean deleteLease(AdapterKey key, String etag) throws TierUnavailableException {
        try {
            Await.await(
                    client.deleteObject(
                            r -> r.bucket(config.bucket()).key(leaseKey(key)).ifMatch(etag)),
                    config.timeout(),
                    "S3 DELETE lease " + leaseKey(key));
            return true;
        } catch (TierUnavailableException e) {
            if (refusedCondition(e)) {
                return false;
            }
            throw e;
        }
    }

    /** 412 (the condition failed), 409 (a conflicting conditional write in progress) or 404 (no object to match). */
    private static boolean refusedCondition(TierUnavailableException e) {
        return e.getCause() instanceof NoSuchKeyException
                || (e.getCause() instanceof S3Exception s3
                        && (s3.statusCode() == 412 || s3.statusCode() == 409 || s3.statusCode() == 404));
    }

    @Override
    public String location(AdapterKey key) {
        return "s3://" + config.bucket() + "/" + objectKey(key);
    }

    @Override
    public Optional<byte[]> get(AdapterKey key, long maxBytes) throws TierUnavailableException {
        try {
            ResponseBytes<GetObjectResponse> bytes = Await.await(
                    client.getObject(
                            r -> r.bucket(config.bucket()).key(objectKey(key)).range("bytes=0-" + maxBytes),
                            AsyncResponseTransformer.toBytes()),
                    config.timeout(),
                    "S3 GET " + location(key));
            return Optional.of(bytes.asByteArrayUnsafe());
        } catch (TierUnavailableException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return Optional.empty();
            }
            if (e.getCause() instanceof S3Exception s3 && s3.statusCode() == 416) {
                // Range not satisfiable: an empty object. Not an envelope; let the check reject it.
                return Optional.of(new byte[0]);
            }
            if (e.getCause() instanceof S3Exception s3 && s3.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * A conditional PUT ({@code If-None-Match: *}, which S3 has honoured since 2024): S3 answers 412 if the object
     * exists, and of two racing PUTs one gets 412 (or 409, a conflicting conditional write in progress), so the first
     * writer's bytes stay. An endpoint that ignored the header would replace the object; s3proxy 4.1 (the tests')
     * honours it, which {@code CreateOnlyTest} checks.
     */
    @Override
    public boolean create(AdapterKey key, byte[] envelope) throws TierUnavailableException {
        try {
            Await.await(
                    client.putObject(
                            r -> r.bucket(config.bucket())
                                    .key(objectKey(key))
                                    .ifNoneMatch("*")
                                    .contentLength((long) envelope.length)
                                    .contentType("application/vnd.adaptserve.adapter"),
                            AsyncRequestBody.fromBytesUnsafe(envelope)),
                    config.timeout(),
                    "S3 PUT " + location(key));
            return true;
        } catch (TierUnavailableException e) {
            if (e.getCause() instanceof S3Exception s3 && (s3.statusCode() == 412 || s3.statusCode() == 409)) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public AdapterListing.Listed list(Optional<String> tenant, String baseFingerprint, int max)
            throws TierUnavailableException {
        String prefix = folder(tenant, baseFingerprint);
        List<ListedAdapter> found = new ArrayList<>();
        String token = null;
        do {
            String continuation = token;
            ListObjectsV2Response page = Await.await(
                    client.listObjectsV2(r -> r.bucket(config.bucket())
                            .prefix(prefix)
                            .maxKeys(Math.min(1000, max + 1))
                            .continuationToken(continuation)),
                    config.timeout(),
                    "S3 LIST s3://" + config.bucket() + "/" + prefix);
            for (S3Object object : page.contents()) {
                String name = object.key().substring(prefix.length());
                if (AdapterKey.isId(name)) {
                    if (found.size() == max) {
                        return new AdapterListing.Listed(found, true);
                    }
                    found.add(new ListedAdapter(name, object.lastModified()));
                }
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return new AdapterListing.Listed(found, false);
    }

    @Override
    public void delete(AdapterKey key) throws TierUnavailableException {
        Await.await(
                client.deleteObject(r -> r.bucket(config.bucket()).key(objectKey(key))),
                config.timeout(),
                "S3 DELETE " + location(key));
    }

    /**
     * HEAD of a key that need not exist: any answer from S3 below 500 (a 404, or a 403 without list permission) shows
     * the endpoint is back; only no answer, a timeout or a server error counts as down.
     */
    @Override
    public void probe() throws TierUnavailableException {
        try {
            Await.await(
                    client.headObject(r -> r.bucket(config.bucket()).key(config.prefix() + "adapters/.probe")),
                    config.timeout(),
                    "S3 HEAD probe");
        } catch (TierUnavailableException e) {
            if (e.getCause() instanceof S3Exception s3 && s3.statusCode() > 0 && s3.statusCode() < 500) {
                return;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
