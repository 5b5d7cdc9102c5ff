package dev.orgmesh.vault.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

class SecretScrubberTest {
    @Test
    void anOutgoingMessageCarriesMarkersInsteadOfValues() {
        SecretScrubber s = new SecretScrubber();
        s.add("GITHUB_TOKEN", bytes("ghp_s3cr3t-value"));
        s.add("SHORT", bytes("ab"));
        Envelope report = Envelope.builder().id("r1").from("cto-athena").to("ceo-genesis").type("report")
                .summary("pushed with ghp_s3cr3t-value, twice: ghp_s3cr3t-value").build();

        byte[] out = s.scrub(EnvelopeCodec.encode(report));
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("ghp_s3cr3t-value")
                .contains("pushed with [REDACTED:GITHUB_TOKEN], twice: [REDACTED:GITHUB_TOKEN]");
        assertThat(EnvelopeCodec.decode(out).summary()).contains("[REDACTED:GITHUB_TOKEN]");
        assertThat(s.scrub("ab stays: too short to be a secret")).isEqualTo("ab stays: too short to be a secret");
        assertThat(s.leaks("x ghp_s3cr3t-value y")).isTrue();
    }

    @Test
    void theLongestValueWinsAndARotatedOutValueStaysGuarded() {
        SecretScrubber s = new SecretScrubber();
        s.add("A", bytes("token"));
        s.add("B", bytes("token-extended"));
        assertThat(s.scrub("use token-extended and token")).isEqualTo("use [REDACTED:B] and [REDACTED:A]");

        // a brain started before the rotation still holds the old value: both are redacted
        s.add("A", bytes("rotated1"));
        assertThat(s.scrub("token rotated1")).isEqualTo("[REDACTED:A] [REDACTED:A]");
        s.forget("A");
        assertThat(s.scrub("rotated1 token")).isEqualTo("rotated1 token");
        byte[] in = bytes("nothing here");
        assertThat(s.scrub(in)).isEqualTo(in).isNotSameAs(in);
    }

    @Test
    void theLastFewValuesOfANameAreGuardedAndOlderOnesAreDropped() {
        SecretScrubber s = new SecretScrubber();
        for (int v = 0; v <= SecretScrubber.RETAINED_PER_NAME; v++) {
            s.add("T", bytes("value-" + v));
        }
        assertThat(s.scrub("value-0")).as("beyond the retained versions").isEqualTo("value-0");
        for (int v = 1; v <= SecretScrubber.RETAINED_PER_NAME; v++) {
            assertThat(s.scrub("value-" + v)).isEqualTo("[REDACTED:T]");
        }
        s.add("T", bytes("value-3")); // the same value again is one entry, not two
        assertThat(s.scrub("value-1 value-3")).isEqualTo("[REDACTED:T] [REDACTED:T]");
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
