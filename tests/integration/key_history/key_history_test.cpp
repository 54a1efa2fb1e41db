// Key history everywhere (docs/privacy.md "Key history"): both parties rotate their keys
// between transfers, each giving the other its newly exported public.keys as an operator
// would; afterwards `audit verify` on both sides still checks every manifest, receipt and
// counterpart checkpoint of all three transfers. A retired key signing after its retirement
// is refused, naming the party and the key id.

#include <sodium.h>

#include <fstream>

#include "../support/exchange_fixture.h"
#include "common/clock.h"
#include "common/errors.h"
#include "config/gateway_config.h"
#include "ledger/checkpoint.h"
#include "party/peer_keys.h"
#include "privacy/key_folder.h"

namespace passerelle::integration {
namespace {

std::string readText(const fs::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Replaces the one `public_keys = ...` line of an INI file.
void pointPublicKeysAt(const fs::path& ini, const fs::path& keys) {
    std::string text = readText(ini);
    const auto at = text.find("public_keys = ");
    ASSERT_NE(at, std::string::npos) << ini;
    const auto end = text.find('\n', at);
    text.replace(at, end - at, "public_keys = " + keys.string());
    writeFile(ini, text);
}

class KeyHistoryExchange : public ExchangeTest {
protected:
    fs::path exchanged(const std::string& party) const { return root() / "exchanged" / (party + ".keys"); }

    // What an operator does after `keys rotate`: export the public keys and hand the file over.
    void exportPublicKeys(const fs::path& config, const std::string& party) {
        fs::create_directories(root() / "exchanged");
        const auto r = passerelle({"keys", "export-public", "--config", config.string(), "--output",
                                   exchanged(party).string()},
                                  "export." + party + "." + std::to_string(++step_));
        ASSERT_EQ(r.exitCode, 0) << r;
    }

    void rotate(const fs::path& config, const std::string& party) {
        const auto r = passerelle({"keys", "rotate", "--config", config.string()}, "rotate." + party);
        ASSERT_EQ(r.exitCode, 0) << r;
        exportPublicKeys(config, party);
    }

    // (Re)starts the Region and points the institution at its port and at the Region's
    // exchanged public.keys.
    void startRegionAgain() {
        pointPublicKeysAt(regionConfig(), exchanged("univ-montpellier"));
        region_ = startRegion("region." + std::to_string(++step_));
        ASSERT_TRUE(region_);
        inst_ = writeInstitutionConfig("univ-montpellier", "univ-montpellier", region_->port(), export_);
        pointPublicKeysAt(inst_.config, exchanged(kRegion));
    }

    void stopRegion() {
        stopGateway(region_->process());
        region_.reset();
    }

    void transfer(const std::string& job, std::size_t sinkFiles) {
        const auto r = passerelle({"transfer", "--config", inst_.config.string(), "--job", job, "--json"},
                                  "transfer." + job + "." + std::to_string(++step_));
        ASSERT_EQ(r.exitCode, 0) << r << "\n--- region log ---\n" << region_->log();
        EXPECT_TRUE(parseJson(r.out)->optValue<bool>("receipted", false)) << r.out;
        ASSERT_TRUE(waitUntil([&] { return sinkBatchFiles().size() == sinkFiles; }, 15s)) << region_->log();
    }

    CommandResult auditVerify(const fs::path& config, const std::string& label) {
        return passerelle({"audit", "verify", "--config", config.string()}, "audit-verify." + label);
    }

    fs::path export_;
    Institution inst_;
    std::unique_ptr<RunningRegion> region_;
    int step_ = 0;
};

TEST_F(KeyHistoryExchange, RotationsOnBothSidesLeaveEveryTransferVerifiable) {
    export_ = makeExport("univ-montpellier", 30, 0, 21);
    region_ = startMontpellierExchange(export_, inst_);
    ASSERT_TRUE(region_);
    stopRegion();
    exportPublicKeys(regionConfig(), kRegion);
    exportPublicKeys(inst_.config, "univ-montpellier");
    startRegionAgain();
    if (HasFailure()) return;

    transfer("survey-contact", 1);

    // The institution rotates; the Region is given its new public.keys.
    stopRegion();
    rotate(inst_.config, "univ-montpellier");
    startRegionAgain();
    if (HasFailure()) return;
    transfer("statistics", 2);

    // The Region rotates; the institution is given its new public.keys.
    stopRegion();
    rotate(regionConfig(), kRegion);
    startRegionAgain();
    if (HasFailure()) return;
    transfer("survey-contact", 3);
    stopRegion();

    // Both exchanged files carry the retired key with its interval.
    for (const std::string party : {"univ-montpellier", kRegion}) {
        const privacy::PublicKeys keys = privacy::readPublicKeysFile(exchanged(party));
        EXPECT_EQ(keys.retiredSign.size(), 1u) << party;
        ASSERT_TRUE(keys.validFrom) << party;
        EXPECT_EQ(keys.retiredSign.at(0).validUntil, keys.validFrom) << party;
    }

    // `keys show` gives the same history.
    const privacy::PublicKeys instKeys = privacy::readPublicKeysFile(exchanged("univ-montpellier"));
    const auto shown = passerelle({"keys", "show", "--config", inst_.config.string()}, "keys-show");
    EXPECT_EQ(shown.exitCode, 0) << shown;
    EXPECT_NE(shown.out.find("  signing " + instKeys.retiredSign.at(0).id() + " valid " +
                             formatUtc(*instKeys.retiredSign.at(0).validFrom) + " .. " + formatUtc(*instKeys.validFrom)),
              std::string::npos)
        << shown;

    for (const auto& [config, label] : {std::pair{inst_.config, "institution"}, std::pair{regionConfig(), "region"}}) {
        const auto r = auditVerify(config, label);
        EXPECT_EQ(r.exitCode, 0) << label << "\n" << r;
        EXPECT_NE(r.out.find("stored batches checked: 3, receipts checked: 3"), std::string::npos) << label << "\n" << r;
        EXPECT_NE(r.out.find("audit verify: intact"), std::string::npos) << label << "\n" << r;
    }
    // The institution keeps the Region's checkpoint of each receipt: signed with the Region's
    // retired key for the first two transfers, its new one for the third.
    const auto institution = auditVerify(inst_.config, "institution-checkpoints");
    EXPECT_NE(institution.out.find(", 3 from counterparts"), std::string::npos) << institution;

    // The audit fails without the history: the Region given the institution's file
    // without its retired key cannot check the first batch, and says which key is missing.
    const privacy::PublicKeys full = privacy::readPublicKeysFile(exchanged("univ-montpellier"));
    privacy::writePublicKeysFile(exchanged("univ-montpellier"), privacy::PublicKeys(full.party, full.sign, full.box));
    const auto without = auditVerify(regionConfig(), "region-without-history");
    EXPECT_EQ(without.exitCode, 1) << without;
    EXPECT_NE(without.out.find("key " + full.retiredSign.at(0).id() + " of 'univ-montpellier'"), std::string::npos)
        << without;
    privacy::writePublicKeysFile(exchanged("univ-montpellier"), full);
}

// A checkpoint signed with a party's retired key: accepted when dated while the key was
// current, refused when dated after its retirement, by the audit's resolver and by live
// exchange, naming the party and the key id.
TEST_F(KeyHistoryExchange, ARetiredKeySigningAfterItsRetirementIsRefused) {
    export_ = makeExport("univ-montpellier", 5, 0, 22);
    region_ = startMontpellierExchange(export_, inst_);
    ASSERT_TRUE(region_);
    stopRegion();
    exportPublicKeys(inst_.config, "univ-montpellier");
    rotate(inst_.config, "univ-montpellier");
    pointPublicKeysAt(regionConfig(), exchanged("univ-montpellier"));
    if (HasFailure()) return;

    const privacy::PublicKeys keys = privacy::readPublicKeysFile(exchanged("univ-montpellier"));
    ASSERT_EQ(keys.retiredSign.size(), 1u);
    const privacy::KeyPeriod& retired = keys.retiredSign[0];
    ASSERT_TRUE(retired.validUntil);
    // The retired secret stays in the institution's key folder, under its box key id.
    const fs::path secretFile =
        inst_.keysDir() / privacy::KeyFolder::kPreviousDir / keys.retiredBox.at(0).id() / privacy::KeyFolder::kSignFile;
    const std::string secret = readText(secretFile);
    ASSERT_EQ(secret.size(), static_cast<std::size_t>(crypto_sign_SECRETKEYBYTES));

    const auto signedAt = [&](std::chrono::system_clock::time_point when) {
        ledger::Checkpoint c;
        c.origin = "univ-montpellier";
        c.treeSize = 1;
        c.time = formatUtc(when);
        c.keyId = retired.id();
        const std::string bytes = c.signedBytes();
        crypto_sign_detached(c.signature.data(), nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                             bytes.size(), reinterpret_cast<const unsigned char*>(secret.data()));
        EXPECT_TRUE(c.signatureVerifies(retired.key));
        return c;
    };
    const auto config = config::GatewayConfig::load(regionConfig());
    const auto peers = exchange::PeerKeys::load(config);
    const ledger::KeyResolver resolver =
        exchange::checkpointKeyResolver(kRegion, exchange::readOwnSignKeys(config.keysDir), peers);

    const ledger::Checkpoint before = signedAt(*retired.validUntil);  // the second of the rotation
    EXPECT_TRUE(resolver(before.origin, before.keyId, before.time)) << "signed while current";
    const ledger::Checkpoint after = signedAt(*retired.validUntil + std::chrono::hours(1));
    const ledger::ResolvedKey refused = resolver(after.origin, after.keyId, after.time);
    EXPECT_FALSE(refused);
    EXPECT_NE(refused.refusal.find("after key " + retired.id() + " of 'univ-montpellier' was retired"),
              std::string::npos)
        << refused.refusal;
    try {
        (void)peers.liveSignKey(after.origin, after.keyId, after.time);
        ADD_FAILURE() << "live exchange took a retired key's signature dated after its retirement";
    } catch (const BatchError& e) {
        EXPECT_NE(std::string(e.what()).find(retired.id()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("univ-montpellier"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace passerelle::integration
