package dev.orgmesh.vault.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

class HpkeTest {
    static final HexFormat HEX = HexFormat.of();

    /**
     * RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode, sequence 0. Shows the
     * suite we fix is the standard one, byte for byte, and not something that merely round-trips with itself.
     */
    @Test
    void matchesTheRfc9180TestVector() throws Exception {
        byte[] info = HEX.parseHex("4f6465206f6e2061204772656369616e2055726e");
        var ephemeral = Hpke.deriveKeyPair(HEX.parseHex(
                "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234"));
        var recipient = Hpke.deriveKeyPair(HEX.parseHex(
                "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037"));
        assertThat(HEX.formatHex(Hpke.publicKey(recipient)))
                .isEqualTo("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
        byte[] pt = HEX.parseHex("4265617574792069732074727574682c20747275746820626561757479");
        byte[] aad = HEX.parseHex("436f756e742d30");

        Hpke.Sealed sealed = Hpke.sealWithEphemeral(Hpke.publicKey(recipient), info, aad, pt, ephemeral);

        assertThat(HEX.formatHex(sealed.enc()))
                .isEqualTo("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
        assertThat(HEX.formatHex(sealed.ct())).isEqualTo(
                "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a");
        assertThat(Hpke.open(recipient, info, aad, sealed)).isEqualTo(pt);
    }

    @Test
    void opensOnlyWithTheRequestsKeyInfoAndAad() {
        var key = Hpke.newKeyPair();
        byte[] info = Hpke.info("cto-athena", "nonce-1");
        byte[] aad = Hpke.aad("request body".getBytes(StandardCharsets.UTF_8));
        byte[] pt = "ghp_value".getBytes(StandardCharsets.UTF_8);
        Hpke.Sealed sealed = Hpke.seal(Hpke.publicKey(key), info, aad, pt);

        assertThat(Hpke.open(key, info, aad, sealed)).isEqualTo(pt);
        assertThat(new String(sealed.ct(), StandardCharsets.ISO_8859_1)).doesNotContain("ghp_value");

        assertThatThrownBy(() -> Hpke.open(Hpke.newKeyPair(), info, aad, sealed))
                .isInstanceOf(OrgmeshException.class).extracting(e -> ((OrgmeshException) e).code())
                .isEqualTo(ErrorCode.VAULT_BAD_SIGNATURE);
        assertThatThrownBy(() -> Hpke.open(key, Hpke.info("ceo-genesis", "nonce-1"), aad, sealed))
                .isInstanceOf(OrgmeshException.class);
        assertThatThrownBy(() -> Hpke.open(key, Hpke.info("cto-athena", "nonce-2"), aad, sealed))
                .isInstanceOf(OrgmeshException.class);
        assertThatThrownBy(() -> Hpke.open(key, info, Hpke.aad("other body".getBytes(StandardCharsets.UTF_8)),
                sealed)).isInstanceOf(OrgmeshException.class);
        byte[] tampered = sealed.ct().clone();
        tampered[0] ^= 1;
        assertThatThrownBy(() -> Hpke.open(key, info, aad, new Hpke.Sealed(sealed.enc(), tampered)))
                .isInstanceOf(OrgmeshException.class);
    }

    @Test
    void infoSeparatesAgentAndNonce() {
        assertThat(Hpke.info("ab", "c")).isNotEqualTo(Hpke.info("a", "bc"));
    }
}
