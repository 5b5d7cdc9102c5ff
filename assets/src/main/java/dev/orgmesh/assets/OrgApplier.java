package dev.orgmesh.assets;

import java.io.IOException;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.ObjectStoreOptions;
import io.nats.client.api.ObjectStoreConfiguration;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.Org;

/**
 * Brings a hub in line with an org: plans and applies its JetStream assets and stores the org text in the org
 * bucket for the other services. Used by {@code orgmesh apply} and {@code orgmesh up}, and by the hub-bootstrap
 * service at start and on every change of the stored org; plain Java over jnats, so the CLI needs no service module.
 */
public final class OrgApplier {
    private final Connection connection;
    private final NatsSettings settings;

    public OrgApplier(Connection connection, NatsSettings settings) {
        this.connection = connection;
        this.settings = settings;
    }

    /**
     * What happened.
     *
     * @param plan the changes carried out (empty when the server already matched)
     * @param orgStored whether the stored org text changed
     */
    public record Result(AssetPlan plan, boolean orgStored) {
    }

    /** What applying {@code org} would change. Reads only. */
    public AssetPlan plan(Org org, AssetLimits limits) {
        return applier(org).plan(OrgAssets.of(org, limits));
    }

    /** Applies {@code org}'s assets (removing extras only with {@code prune}) and stores {@code orgText}. */
    public Result apply(Org org, String orgText, AssetLimits limits, boolean prune) {
        OrgAssets assets = OrgAssets.of(org, limits);
        AssetApplier applier = applier(org);
        AssetPlan done = applier.apply(assets, applier.plan(assets), prune);
        ensureArtifactStore(org, limits);
        boolean stored = orgText != null && OrgDocument.put(orgBucket(org.subjects()), orgText);
        return new Result(done, stored);
    }

    /** Creates the artifact object store when it does not exist yet (agents put and get artifacts there). */
    private void ensureArtifactStore(Org org, AssetLimits limits) {
        String bucket = org.subjects().artifactBucket();
        try {
            var osm = connection.objectStoreManagement(
                    ObjectStoreOptions.builder()
                            .jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
            if (!osm.getBucketNames().contains(bucket)) {
                osm.create(ObjectStoreConfiguration.builder(bucket)
                        .description("artifacts agents exchange by path")
                        .storageType(limits.storage())
                        .replicas(limits.replicas())
                        .build());
            }
        } catch (IOException | JetStreamApiException e) {
            throw new OrgmeshException(ErrorCode.APPLY_FAILED,
                    "cannot create the artifact store " + bucket + ": " + e.getMessage(), e);
        }
    }

    /** The org bucket of a company (it must exist: apply first). */
    public KeyValue orgBucket(Subjects subjects) {
        try {
            return connection.keyValue(subjects.orgBucket(),
                    KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.APPLY_FAILED,
                    "cannot open bucket " + subjects.orgBucket() + ": " + e.getMessage(), e);
        }
    }

    private AssetApplier applier(Org org) {
        try {
            var jso = NatsConnector.jetStreamOptions(settings);
            return new AssetApplier(connection.jetStreamManagement(jso),
                    connection.keyValueManagement(KeyValueOptions.builder().jetStreamOptions(jso).build()),
                    org.subjects().assetPrefix());
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.APPLY_FAILED, "JetStream is not available at " + settings.url()
                    + (settings.jsDomain().map(d -> " in domain " + d).orElse("")) + ": " + e.getMessage(), e);
        }
    }

}
