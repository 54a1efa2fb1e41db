// The signed directory: it round-trips through its canonical JSON, the Region's
// signature is required, an older or rewritten version is refused, and every field
// that comes from the network is checked where it is parsed.

#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>
#include <sodium.h>

#include <functional>

#include "common/encoding.h"
#include "federation/directory.h"
#include "federation/directory_builder.h"
#include "federation/directory_file.h"
#include "federation/directory_refresh.h"
#include "federation_test_support.h"
#include "privacy/key_folder.h"
#include "privacy/party_keys.h"

namespace passerelle::federation::testing {
namespace {

std::string hexKey(unsigned char fill) { return std::string(64, "0123456789abcdef"[fill % 16]); }

class DirectoryTest : public CaTest {
protected:
    void SetUp() override {
        initialise();
        issuingCrl = ca().makeCrl().pem;
        privacy::KeyFolder::generate(dir.path() / "region-keys", "region-occitanie");
        privacy::KeyFolder::generate(dir.path() / "other-keys", "region-occitanie");
    }

    std::string issuingCrl;

    privacy::PartyKeys regionKeys() const { return privacy::PartyKeys::load(dir.path() / "region-keys"); }
    privacy::SignPublicKey regionKey() const { return regionKeys().publicKeys().sign; }

    Directory sample(std::uint64_t version = 1) {
        Directory d;
        d.version = version;
        d.issued = "2026-12-08T09:00:00Z";
        d.region = "region-occitanie";
        DirectoryParty region;
        region.id = "region-occitanie";
        region.role = PartyRole::Region;
        region.name = "Région Occitanie";
        region.endpoint = "https://passerelle.region.example:8443";
        region.certificateSha256 = hexKey(1);
        region.keys = {{KeyUse::Sign, toHex(regionKey().bytes), true, "2026-01-01T00:00:00Z", std::nullopt},
                       {KeyUse::Box, hexKey(3), true, std::nullopt, std::nullopt}};
        DirectoryParty univ;
        univ.id = "univ-montpellier";
        univ.uai = "0342321N";
        univ.name = "Université de Montpellier";
        univ.certificateSha256 = hexKey(4);
        univ.sendPurposes = {"insertion-outcome", "region-survey-contact"};
        univ.keys = {{KeyUse::Sign, hexKey(5), false, "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"},
                     {KeyUse::Box, hexKey(6), false, std::nullopt, std::nullopt},  // from before key history
                     {KeyUse::Sign, hexKey(7), true, "2026-06-01T00:00:00Z", std::nullopt},
                     {KeyUse::Box, hexKey(8), true, "2026-06-01T00:00:00Z", std::nullopt}};
        d.parties = {region, univ};
        d.caChainPem = readText(folder.trustFile());
        d.crls = {readText(folder.rootCrl()), issuingCrl};
        return d;
    }

    // The sample's JSON with `change` applied to its Poco object, re-serialised canonically.
    std::string edited(const std::function<void(Poco::JSON::Object&)>& change) {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // members in their order
        auto object = parser.parse(directoryJson(sample())).extract<Poco::JSON::Object::Ptr>();
        change(*object);
        std::ostringstream out;
        object->stringify(out);
        return out.str();
    }

    std::string refusalOf(const std::string& json) {
        try {
            parseDirectory(json);
        } catch (const DirectoryError& e) {
            return e.what();
        }
        return "accepted";
    }

    Poco::JSON::Object::Ptr partyOf(Poco::JSON::Object& o, unsigned index) {
        return o.getArray("parties")->getObject(index);
    }
};

TEST_F(DirectoryTest, RoundTripsThroughItsCanonicalJson) {
    const Directory d = sample();
    const std::string json = directoryJson(d);
    EXPECT_EQ(parseDirectory(json), d);
    EXPECT_EQ(json.find('\n'), std::string::npos) << "one line: the PEM's line breaks are escaped";
    EXPECT_EQ(parseDirectory(json).party("univ-montpellier")->currentKey(KeyUse::Sign).publicKeyHex, hexKey(7));
    EXPECT_EQ(parseDirectory(json).party("nobody"), nullptr);
}

TEST_F(DirectoryTest, ASignedDirectoryIsAcceptedWithThePinnedKeyOnly) {
    const auto signedDirectory = signDirectory(sample(), regionKeys());
    const auto body = signedDirectory.body("directory");
    const auto read = signedDirectoryFromBody(body);
    const std::vector<privacy::SignPublicKey> pinned{regionKey()};
    EXPECT_EQ(acceptDirectory(read, pinned, std::nullopt), sample());

    const std::vector<privacy::SignPublicKey> other{
        privacy::PartyKeys::load(dir.path() / "other-keys").publicKeys().sign};
    try {
        acceptDirectory(read, other, std::nullopt);
        FAIL() << "a directory signed by another key was accepted";
    } catch (const DirectoryError& e) {
        EXPECT_NE(std::string(e.what()).find("signature is not the Region's"), std::string::npos) << e.what();
    }
}

TEST_F(DirectoryTest, AForgedDirectoryIsRefusedBeforeItIsRead) {
    auto signedDirectory = signDirectory(sample(), regionKeys());
    const auto at = signedDirectory.json.find("Université de Montpellier");
    ASSERT_NE(at, std::string::npos);
    signedDirectory.json.replace(at, 10, "Universitx");
    const std::vector<privacy::SignPublicKey> pinned{regionKey()};
    EXPECT_THROW(acceptDirectory(signedDirectory, pinned, std::nullopt), DirectoryError);
    EXPECT_THROW(signedDirectoryFromBody("{\"directory\":\"!!\",\"signature\":\"\"}"), DirectoryError);
    EXPECT_THROW(signedDirectoryFromBody("{\"directory\":\"\",\"signature\":\"\",\"more\":\"\"}"), DirectoryError);
}

TEST_F(DirectoryTest, TheRegionsEntryMustNameTheKeyThatSignedIt) {
    Directory d = sample();
    d.parties[0].keys[0].publicKeyHex = hexKey(9);
    const std::vector<privacy::SignPublicKey> pinned{regionKey()};
    try {
        acceptDirectory(signDirectory(d, regionKeys()), pinned, std::nullopt);
        FAIL() << "a directory listing another current key for the Region was accepted";
    } catch (const DirectoryError& e) {
        EXPECT_NE(std::string(e.what()).find("is not key " + regionKey().id() + " that signed it"), std::string::npos)
            << e.what();
    }
}

TEST_F(DirectoryTest, AnOlderVersionOrTheSameVersionRewrittenIsRefused) {
    const std::vector<privacy::SignPublicKey> pinned{regionKey()};
    const auto v2 = signDirectory(sample(2), regionKeys());
    const HeldDirectory held{2, directoryDigest(v2)};
    EXPECT_NO_THROW(acceptDirectory(v2, pinned, held));  // the same again: no change
    EXPECT_NO_THROW(acceptDirectory(signDirectory(sample(3), regionKeys()), pinned, held));
    try {
        acceptDirectory(signDirectory(sample(1), regionKeys()), pinned, held);
        FAIL() << "an older version was accepted";
    } catch (const DirectoryError& e) {
        EXPECT_NE(std::string(e.what()).find("version 1 is older than version 2"), std::string::npos) << e.what();
    }
    Directory rewritten = sample(2);
    rewritten.parties[1].sendPurposes = {"insertion-outcome"};
    try {
        acceptDirectory(signDirectory(rewritten, regionKeys()), pinned, held);
        FAIL() << "version 2 with other content was accepted";
    } catch (const DirectoryError& e) {
        EXPECT_NE(std::string(e.what()).find("with other content"), std::string::npos) << e.what();
    }
}

TEST_F(DirectoryTest, EachFieldFromTheNetworkIsCheckedWhereItIsParsed) {
    struct Case {
        const char* name;
        std::function<void(Poco::JSON::Object&)> change;
        const char* expected;
    };
    const std::vector<Case> cases{
        {"format", [](auto& o) { o.set("format", "passerelle-directory/9"); }, "'format' is not"},
        {"version 0", [](auto& o) { o.set("version", 0); }, "'version' must be 1 or more"},
        {"negative version", [](auto& o) { o.set("version", -3); }, "'version' is not a positive integer"},
        {"issued", [](auto& o) { o.set("issued", "yesterday"); }, "'issued' is not an RFC 3339"},
        {"region id", [](auto& o) { o.set("region", "../etc"); }, "'region' is not a party id"},
        {"party id as a path", [this](auto& o) { partyOf(o, 1)->set("id", "../../tmp/x"); },
         "parties[1].id is not a party id"},
        {"unknown role", [this](auto& o) { partyOf(o, 1)->set("role", "admin"); }, "parties[1].role"},
        {"check letter", [this](auto& o) { partyOf(o, 1)->set("uai", "0342321A"); }, "parties[1].uai is not a UAI"},
        {"institution without uai", [this](auto& o) { partyOf(o, 1)->set("uai", ""); }, "parties[1].uai"},
        {"control character in name", [this](auto& o) { partyOf(o, 1)->set("name", "a\nb"); }, "parties[1].name"},
        {"plain http", [this](auto& o) { partyOf(o, 0)->set("endpoint", "http://x.example"); },
         "parties[0].endpoint must be empty or an https:// URL"},
        {"fingerprint", [this](auto& o) { partyOf(o, 1)->set("certificate_sha256", "ABCD"); },
         "parties[1].certificate_sha256"},
        {"purpose id", [this](auto& o) {
             Poco::JSON::Array a;
             a.add("Insertion Outcome");
             partyOf(o, 1)->set("send_purposes", a);
         }, "parties[1].send_purposes holds a value that is not a purpose id"},
        {"key hex", [this](auto& o) { partyOf(o, 1)->getArray("keys")->getObject(0)->set("public_key", "zz"); },
         "parties[1].keys[0].public_key"},
        {"key use", [this](auto& o) { partyOf(o, 1)->getArray("keys")->getObject(0)->set("use", "tls"); },
         "parties[1].keys[0].use"},
        {"interval backwards", [this](auto& o) {
             partyOf(o, 1)->getArray("keys")->getObject(0)->set("valid_until", "2025-01-01T00:00:00Z");
         }, "is before valid_from"},
        {"two current keys", [this](auto& o) {
             auto key = partyOf(o, 1)->getArray("keys")->getObject(0);
             key->set("status", "current");
             key->set("valid_until", Poco::Dynamic::Var());
         }, "exactly one current sign key"},
        {"no current key", [this](auto& o) { partyOf(o, 1)->getArray("keys")->getObject(2)->set("status", "retired"); },
         "exactly one current sign key"},
        {"a current key with an end", [this](auto& o) {
             partyOf(o, 1)->getArray("keys")->getObject(2)->set("valid_until", "2027-01-01T00:00:00Z");
         }, "parties[1].keys[2].valid_until is set on the current key"},
        {"key status", [this](auto& o) { partyOf(o, 1)->getArray("keys")->getObject(0)->set("status", "old"); },
         "parties[1].keys[0].status"},
        {"keys not objects", [this](auto& o) {
             Poco::JSON::Array a;
             a.add("x");
             partyOf(o, 1)->set("keys", a);
         }, "parties[1].keys is not an array of objects"},
        {"unknown member", [this](auto& o) { partyOf(o, 1)->set("admin", true); }, "unknown member"},
        {"duplicate party", [this](auto& o) { partyOf(o, 1)->set("id", "region-occitanie"); },
         "names a party listed before"},
        {"no region", [](auto& o) { o.set("region", "univ-montpellier"); }, "with the role region"},
        {"chain", [](auto& o) { o.set("ca_chain", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"); },
         "ca_chain must be one or more PEM certificates"},
        {"crl", [](auto& o) {
             Poco::JSON::Array a;
             a.add("not a crl");
             o.set("crls", a);
         }, "crls[0] is not a PEM certificate revocation list"},
    };
    for (const auto& c : cases) {
        const std::string refusal = refusalOf(edited(c.change));
        EXPECT_NE(refusal.find(c.expected), std::string::npos) << c.name << ": " << refusal;
        EXPECT_EQ(refusal.find("../"), std::string::npos) << c.name << ": the message quotes the value";
    }
}

TEST_F(DirectoryTest, ACrlNotSignedByTheChainIsRefused) {
    // Another CA's list: well-formed, but none of ca_chain's keys signed it.
    TempDir otherDir;
    const CaFolder other{otherDir.path() / "ca"};
    CertificateAuthority::initialise(other, KeyType::P256, CaOperator{"region-occitanie", ""}, clock);
    Directory d = sample();
    d.crls = {readText(other.rootCrl())};
    EXPECT_NE(refusalOf(directoryJson(d)).find("crls[0] is not signed by a CA of ca_chain"), std::string::npos);
}

TEST_F(DirectoryTest, BytesThatAreNotTheCanonicalFormAreRefused) {
    std::string json = directoryJson(sample());
    json.insert(1, " ");
    EXPECT_NE(refusalOf(json).find("canonical form"), std::string::npos) << refusalOf(json);
}

TEST_F(DirectoryTest, AKeyHistoryCrossesTheDirectoryUnchanged) {
    privacy::PublicKeys keys = privacy::PartyKeys::load(dir.path() / "region-keys").publicKeys();
    keys.party = "univ-montpellier";
    const auto t = [](const char* text) { return *parseUtc(text); };
    keys.validFrom = t("2026-06-01T00:00:00Z");
    privacy::KeyPeriod oldSign{{}, t("2026-01-01T00:00:00Z"), t("2026-06-01T00:00:00Z")};
    oldSign.key.fill(5);
    privacy::KeyPeriod unknownBox{{}, std::nullopt, std::nullopt};  // from before key history
    unknownBox.key.fill(6);
    keys.retiredSign = {oldSign};
    keys.retiredBox = {unknownBox};

    Directory d = sample();
    d.parties[1].keys = directoryKeys(keys);
    const Directory read = parseDirectory(directoryJson(d));
    const privacy::PublicKeys back = publicKeysOf(*read.party("univ-montpellier"));
    EXPECT_EQ(back.party, keys.party);
    EXPECT_EQ(back.sign, keys.sign);
    EXPECT_EQ(back.box, keys.box);
    EXPECT_EQ(back.validFrom, keys.validFrom);
    EXPECT_EQ(back.retiredSign, keys.retiredSign);
    EXPECT_EQ(back.retiredBox, keys.retiredBox);
}

// --- publication (the Region) and adoption (an institution)

class DirectoryFiles : public DirectoryTest {
protected:
    std::vector<privacy::SignPublicKey> pinned() const { return {regionKey()}; }
    std::size_t entriesOf(ledger::Ledger& l, ledger::Operation op) {
        const auto all = l.entries();
        return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [op](const auto& e) { return e.is(op); }));
    }

    DirectoryFile published{dir.path() / "region-state" / "directory.json"};
    DirectoryFile adopted{dir.path() / "institution-state" / "directory.json"};
    ledger::Ledger institutionLedger{dir.path() / "institution-ledger.db", clock};
};

TEST_F(DirectoryFiles, EachPublicationIsANewerVersionAndALedgerEntry) {
    EXPECT_FALSE(published.read());
    const auto first = publishDirectory(sample(), regionKeys(), published, ledger, clock);
    const auto second = publishDirectory(sample(), regionKeys(), published, ledger, clock);
    EXPECT_GT(second.version, first.version);
    ASSERT_TRUE(published.held());
    EXPECT_EQ(published.held()->version, second.version);
    EXPECT_EQ(published.held()->sha256, second.sha256);
    EXPECT_EQ(parseDirectory(published.read()->json).issued, formatUtc(clock.at));
    const auto entries = ledger.entries();
    ASSERT_EQ(entriesOf(ledger, ledger::Operation::DirectoryPublished), 2u);
    EXPECT_NE(entries.back().reason.find("version " + std::to_string(second.version) + "; sha256 " + second.sha256),
              std::string::npos)
        << entries.back().reason;
    EXPECT_EQ(entries.back().outcome, "published");

    // A lost file: the next day's publication is still newer than anything published.
    std::filesystem::remove(published.path());
    clock.advanceDays(1);
    EXPECT_GT(publishDirectory(sample(), regionKeys(), published, ledger, clock).version, second.version);
}

TEST_F(DirectoryFiles, AnInstitutionAdoptsANewVersionOnceAndLedgersIt) {
    publishDirectory(sample(), regionKeys(), published, ledger, clock);
    const auto served = *published.read();
    const auto first = adoptDirectory(served, pinned(), adopted, institutionLedger);
    EXPECT_TRUE(first.changed);
    EXPECT_EQ(adopted.read()->json, served.json);
    const auto again = adoptDirectory(served, pinned(), adopted, institutionLedger);
    EXPECT_FALSE(again.changed) << "the version held, served again";
    ASSERT_EQ(entriesOf(institutionLedger, ledger::Operation::DirectoryAdopted), 1u);
    const auto entry = institutionLedger.entries().back();
    EXPECT_EQ(entry.counterpart, "region-occitanie");
    EXPECT_EQ(entry.outcome, "adopted");
    EXPECT_NE(entry.reason.find("sha256 " + first.version.sha256), std::string::npos) << entry.reason;
}

TEST_F(DirectoryFiles, AStaleOrForgedDirectoryChangesNothingAndIsNotLedgered) {
    publishDirectory(sample(), regionKeys(), published, ledger, clock);
    const auto older = *published.read();
    clock.advanceDays(1);
    publishDirectory(sample(), regionKeys(), published, ledger, clock);
    adoptDirectory(*published.read(), pinned(), adopted, institutionLedger);
    const std::string held = adopted.read()->json;
    const auto entriesBefore = institutionLedger.size();

    EXPECT_THROW(adoptDirectory(older, pinned(), adopted, institutionLedger), DirectoryError) << "a replayed copy";
    auto forged = *published.read();
    forged.signature = older.signature;
    EXPECT_THROW(adoptDirectory(forged, pinned(), adopted, institutionLedger), DirectoryError);
    EXPECT_EQ(adopted.read()->json, held);
    EXPECT_EQ(institutionLedger.size(), entriesBefore);
}

// A directory's own chain cannot vouch for a list: one whose issuer has our CA's name but
// another key (a second CA made with the same names) is not installed.
TEST_F(DirectoryFiles, AListNotSignedByOurOwnCaIsNotInstalled) {
    const auto tlsDir = dir.path() / "institution-tls";
    std::filesystem::create_directories(tlsDir);
    const auto issuingFile = tlsDir / "crl.pem";
    writeText(issuingFile, issuingCrl);
    TempDir twinDir;
    const CaFolder twin{twinDir.path() / "ca"};
    CertificateAuthority::initialise(twin, KeyType::P256, CaOperator{"region-occitanie", "Région Occitanie"}, clock);
    config::CaSettings twinSettings;
    twinSettings.folder = twin.dir;
    CertificateAuthority twinCa(twinSettings, ledger, clock);
    twinCa.makeCrl();
    Directory d = sample();
    d.caChainPem = readText(twin.trustFile());
    d.crls = {twinCa.makeCrl().pem};  // CRL number 2, the same issuer name as ours
    EXPECT_TRUE(installDirectoryCrls(d, {issuingFile}, folder.trustFile()).empty());
    EXPECT_EQ(readText(issuingFile), issuingCrl);
}

TEST_F(DirectoryFiles, ADamagedHeldFileIsNamed) {
    std::filesystem::create_directories(adopted.path().parent_path());
    writeText(adopted.path(), "{\"directory\": 3}");
    try {
        adopted.held();
        FAIL() << "a damaged file was read";
    } catch (const DirectoryError& e) {
        EXPECT_NE(std::string(e.what()).find(adopted.path().string()), std::string::npos) << e.what();
    }
}

TEST_F(DirectoryFiles, ANewerListReplacesTheTlsFileOfItsIssuerAndNothingElse) {
    // The institution's [tls] crl: the root's list, an older list of the issuing CA, another CA's.
    const auto tlsDir = dir.path() / "institution-tls";
    std::filesystem::create_directories(tlsDir);
    const auto rootFile = tlsDir / "root.crl", issuingFile = tlsDir / "crl.pem", otherFile = tlsDir / "other.crl";
    const std::string rootList = readText(folder.rootCrl());
    const std::string olderList = issuingCrl;
    writeText(rootFile, rootList);
    writeText(issuingFile, olderList);
    TempDir otherDir;
    const CaFolder other{otherDir.path() / "ca"};
    CertificateAuthority::initialise(other, KeyType::P256, CaOperator{"region-occitanie", ""}, clock);
    writeText(otherFile, readText(other.rootCrl()));
    const std::string otherList = readText(otherFile);

    Directory d = sample();
    const std::string newer = ca().makeCrl().pem;  // CRL number 2
    d.crls = {rootList, newer};
    const auto installed = installDirectoryCrls(d, {rootFile, issuingFile, otherFile}, folder.trustFile());
    ASSERT_EQ(installed.size(), 1u);
    EXPECT_EQ(installed[0], issuingFile);
    EXPECT_EQ(readText(issuingFile), newer);
    EXPECT_EQ(readText(rootFile), rootList) << "the same list is not rewritten";
    EXPECT_EQ(readText(otherFile), otherList);

    // An older list never replaces a newer one (a replayed directory cannot undo a revocation).
    d.crls = {olderList};
    EXPECT_TRUE(installDirectoryCrls(d, {rootFile, issuingFile, otherFile}, folder.trustFile()).empty());
    EXPECT_EQ(readText(issuingFile), newer);
}

}  // namespace
}  // namespace passerelle::federation::testing
