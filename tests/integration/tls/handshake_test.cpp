// What the exchange listener does with TLS clients that are not peers, and with
// those that are: failed handshakes are counted and never reach the ledger;
// TLS 1.2 offers ECDHE with AEAD only; no session is ever resumed, so every
// connection is a full handshake; a certificate needs one CN, a subjectAltName
// equal to it and clientAuth.

#include "tls_fixture.h"

namespace passerelle::integration {
namespace {

TEST_F(TlsTest, AThousandFailedHandshakesLeaveTheLedgerAsItWasAndMoveTheCounter) {
    startRegionWith({kRegion, "univ-montpellier"});
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(probe("univ-montpellier").answered) << region_->log();
    const std::size_t entriesBefore = ledgerEntries();
    const double noCertificateBefore = handshakeFailures("no_certificate");
    const double untrustedBefore = handshakeFailures("untrusted_certificate");
    const double protocolBefore = handshakeFailures("protocol");

    int answered = 0;
    for (int i = 0; i < 1000; ++i) {
        switch (i % 3) {
            case 0: answered += probe("").answered; break;  // no certificate
            case 1: answered += probe((pki() / "foreign" / "univ-montpellier.crt").string()).answered; break;
            default: sendGarbage(region_->port(), static_cast<unsigned>(i)); break;
        }
    }
    EXPECT_EQ(answered, 0) << "a client that did not authenticate was answered";

    // The counters move by what was sent (polled: the last refusals may still be in flight).
    EXPECT_TRUE(waitUntil([&] { return handshakeFailures("no_certificate") - noCertificateBefore >= 334; }, 10s))
        << handshakeFailures("no_certificate") - noCertificateBefore;
    EXPECT_EQ(handshakeFailures("untrusted_certificate") - untrustedBefore, 333);
    EXPECT_TRUE(waitUntil([&] { return handshakeFailures("protocol") - protocolBefore >= 333; }, 10s))
        << handshakeFailures("protocol") - protocolBefore;
    EXPECT_EQ(ledgerEntries(), entriesBefore) << "an unauthenticated client wrote the Region's ledger";

    // Logged, but sampled: the first of each reason, not a thousand lines.
    EXPECT_TRUE(regionLogSays("did not return a certificate")) << region_->log();
    EXPECT_TRUE(regionLogSays("refused client certificate")) << region_->log();
    const std::string log = region_->log();
    std::size_t lines = 0;
    for (std::size_t at = 0; (at = log.find("handshake failure:", at)) != std::string::npos; ++at) ++lines;
    EXPECT_LE(lines, 10u) << log;

    // And the door is still open to the peer.
    EXPECT_EQ(probe("univ-montpellier").status, 200) << region_->log();
}

TEST_F(TlsTest, NoSessionIsResumedEveryConnectionIsAFullHandshake) {
    startRegionWith({kRegion, "univ-montpellier"});
    ASSERT_FALSE(HasFailure());
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        ProbeOptions options;
        options.maxVersion = version;
        ProbeResult first = probe("univ-montpellier", options);
        ASSERT_EQ(first.status, 200) << "TLS version " << std::hex << version << "\n" << region_->log();
        for (int i = 0; i < 5; ++i) {
            options.resume = first.session.get();
            const ProbeResult again = probe("univ-montpellier", options);
            EXPECT_EQ(again.status, 200) << "a client offering its previous session was not served (try " << i << ")";
            EXPECT_FALSE(again.reused) << "the server resumed a session (TLS version " << std::hex << version << ")";
        }
    }
}

TEST_F(TlsTest, Tls12OffersForwardSecrecyWithAeadOnly) {
    startRegionWith({kRegion, "univ-montpellier"});
    ASSERT_FALSE(HasFailure());
    ProbeOptions options;
    options.maxVersion = TLS1_2_VERSION;
    for (const char* aead : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                             "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
        options.tls12Ciphers = aead;
        EXPECT_EQ(probe("univ-montpellier", options).status, 200) << aead << " was refused";
    }
    for (const char* weak : {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-CCM8",
                             "ECDHE-ECDSA-CAMELLIA128-SHA256", "AES128-GCM-SHA256"}) {
        options.tls12Ciphers = weak;
        EXPECT_FALSE(probe("univ-montpellier", options).answered) << weak << " was accepted";
    }
}

TEST_F(TlsTest, APeerCertificateNeedsOneCnAMatchingSubjectAltNameAndClientAuth) {
    startRegionWith({kRegion, "univ-montpellier"});
    ASSERT_FALSE(HasFailure());
    const fs::path good = issue("good", "/CN=univ-montpellier",
                                "extendedKeyUsage = clientAuth\nsubjectAltName = DNS:univ-montpellier");
    const fs::path twoCns = issue("two-cns", "/CN=univ-montpellier/CN=univ-toulouse3",
                                  "extendedKeyUsage = clientAuth\nsubjectAltName = DNS:univ-montpellier");
    const fs::path noMatchingSan =
        issue("no-san", "/CN=univ-montpellier", "extendedKeyUsage = clientAuth\nsubjectAltName = DNS:localhost");
    const fs::path serverOnly = issue("server-only", "/CN=univ-montpellier",
                                      "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:univ-montpellier");
    const fs::path noEku = issue("no-eku", "/CN=univ-montpellier", "subjectAltName = DNS:univ-montpellier");
    ASSERT_FALSE(HasFailure());
    const double before = handshakeFailures("certificate_policy");

    EXPECT_EQ(probe(good.string()).status, 200) << region_->log();
    for (const auto& [cert, rule] : {std::pair{twoCns, "common names"}, std::pair{noMatchingSan, "subjectAltName"},
                                     std::pair{serverOnly, "clientAuth"}, std::pair{noEku, "no extendedKeyUsage"}}) {
        EXPECT_FALSE(probe(cert.string()).answered) << cert << " was accepted";
    }
    EXPECT_TRUE(waitUntil([&] { return handshakeFailures("certificate_policy") - before >= 4; }, 5s))
        << handshakeFailures("certificate_policy") - before;
    EXPECT_TRUE(regionLogSays("common names (CN)")) << region_->log();  // the first is logged
}

}  // namespace
}  // namespace passerelle::integration
