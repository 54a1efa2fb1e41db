// Objections (GDPR art. 21) and access requests (GDPR art. 15) end to end:
// an objecting trainee is absent from the next batch and back after removal,
// before and after a pseudonym key rotation; the ledger records each change
// without any identifier; `subject` finds the batches that carried the trainee
// by pseudonym only, under every key epoch held.

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

constexpr int kRows = 60;
constexpr char kExportDelimiter = ';';
constexpr std::size_t kLocalIdColumn = 0;  // COD_ETU
constexpr std::size_t kEmailColumn = 4;    // EMAIL
constexpr std::size_t kSinkEmailColumn = 2;
constexpr std::size_t kSinkPseudonymColumn = 10;

struct Transfer {
    std::string batchId;
    std::uint64_t sealed = 0;
    std::uint64_t objected = 0;
    std::uint64_t rekeyed = 0;         // objections moved from an older key epoch to the current one
    std::set<std::string> emails;      // e-mails in the batch's survey file
    std::set<std::string> pseudonyms;  // pseudonyms in the batch's survey file
};

class ObjectionsTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        exportFile_ = makeExport("univ-montpellier", kRows, 5, 17);
        region_ = startMontpellierExchange(exportFile_, inst_);
        ASSERT_TRUE(region_);
    }

    void TearDown() override {
        if (region_) stopGateway(region_->process());
        ExchangeTest::TearDown();
    }

    Transfer transfer(const std::string& label) {
        Transfer t;
        const auto r = passerelle({"transfer", "--config", inst_.config.string(), "--job", "survey-contact", "--json"},
                                  "transfer." + label);
        EXPECT_EQ(r.exitCode, 0) << r;
        const auto summary = parseJson(r.out);
        t.batchId = summary->optValue<std::string>("batch_id", "");
        t.sealed = summary->optValue<std::uint64_t>("sealed", 0);
        t.objected = summary->optValue<std::uint64_t>("objected", 999);
        t.rekeyed = summary->optValue<std::uint64_t>("objections_rekeyed", 999);
        const fs::path sinkFile = regionSink() / ("univ-montpellier_" + t.batchId + ".csv");
        EXPECT_TRUE(waitUntil([&] { return fs::exists(sinkFile); }, 15s)) << "no survey file for " << label;
        const auto sinkLines = lines(readFile(sinkFile));
        for (std::size_t i = 1; i < sinkLines.size(); ++i) {
            const auto cells = splitCells(sinkLines[i], ',');
            t.emails.insert(cells.at(kSinkEmailColumn));
            t.pseudonyms.insert(cells.at(kSinkPseudonymColumn));
        }
        EXPECT_EQ(t.emails.size(), t.sealed) << label;
        return t;
    }

    CommandResult objections(const std::string& action, const std::vector<std::string>& extra) {
        std::vector<std::string> args = {"objections", action, "--config", inst_.config.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return passerelle(args, "objections." + action + "." + std::to_string(++calls_));
    }

    Poco::JSON::Object::Ptr subject(const std::string& localId) {
        const auto r = passerelle({"subject", "--config", inst_.config.string(), "--local-id", localId, "--json"},
                                  "subject." + std::to_string(++calls_));
        EXPECT_EQ(r.exitCode, 0) << r;
        return parseJson(r.out);
    }

    CommandResult rotatePseudonymKey() {
        return passerelle({"keys", "rotate", "--config", inst_.config.string(), "--pseudonym"},
                          "keys-rotate-pseudonym." + std::to_string(++calls_));
    }

    std::string ledgerBytes() {
        return readFile(inst_.stateDir() / "ledger.db") + readFile(inst_.stateDir() / "ledger.db-wal");
    }

    // The local id of the trainee whose e-mail this is, from the export.
    std::string localIdOf(const std::string& email) {
        std::istringstream in(readFile(exportFile_));
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            const auto cells = splitCells(line, kExportDelimiter);
            if (cells.size() > kEmailColumn && cells[kEmailColumn] == email) return cells[kLocalIdColumn];
        }
        ADD_FAILURE() << "the chosen e-mail is not in the export";
        return {};
    }

    fs::path exportFile_;
    Institution inst_;
    std::unique_ptr<RunningRegion> region_;
    int calls_ = 0;
};

std::set<std::string> batchIdsOf(const Poco::JSON::Object::Ptr& answer) {
    std::set<std::string> ids;
    const auto batches = answer->getArray("batches");
    for (std::size_t i = 0; batches && i < batches->size(); ++i) {
        ids.insert(batches->getObject(i)->getValue<std::string>("batch_id"));
    }
    return ids;
}

// The trainee's pseudonym in the survey's domain under key `epoch`; 0: the first
// listed, which is the current epoch's.
std::string surveyPseudonymOf(const Poco::JSON::Object::Ptr& answer, unsigned epoch = 0) {
    const auto pseudonyms = answer->getArray("pseudonyms");
    for (std::size_t i = 0; pseudonyms && i < pseudonyms->size(); ++i) {
        const auto p = pseudonyms->getObject(i);
        if (p->getValue<std::string>("domain") == "region-survey" &&
            (epoch == 0 || p->getValue<unsigned>("epoch") == epoch)) {
            return p->getValue<std::string>("pseudonym");
        }
    }
    return {};
}

TEST_F(ObjectionsTest, AnObjectingTraineeIsWithheldFromLaterBatchesUntilTheObjectionIsRemoved) {
    const Transfer first = transfer("first");
    ASSERT_FALSE(first.emails.empty());
    EXPECT_EQ(first.objected, 0u);
    const std::string email = *first.emails.begin();
    const std::string localId = localIdOf(email);
    ASSERT_FALSE(localId.empty());

    // The access request finds the trainee's pseudonym, and the batch that carried it.
    const auto before = subject(localId);
    const std::string pseudonym = surveyPseudonymOf(before);
    ASSERT_GE(pseudonym.size(), 64u) << "64 hex characters, after the key epoch";
    EXPECT_TRUE(first.pseudonyms.contains(pseudonym)) << "the pseudonym `subject` computes is the one sent";
    EXPECT_EQ(batchIdsOf(before), std::set<std::string>{first.batchId});
    EXPECT_EQ(before->getArray("pseudonyms")->size(), 2u) << "one pseudonym per configured domain";

    const auto added = objections("add", {"--local-id", localId, "--purpose", kSurveyPurpose});
    ASSERT_EQ(added.exitCode, 0) << added;
    EXPECT_EQ(added.out.find(localId), std::string::npos) << "the id is not echoed back";
    const auto repeated = objections("add", {"--local-id", localId, "--purpose", kSurveyPurpose});
    EXPECT_EQ(repeated.exitCode, 0) << repeated;
    EXPECT_NE(repeated.out.find("already recorded"), std::string::npos) << repeated;
    const auto listed = objections("list", {});
    ASSERT_EQ(listed.exitCode, 0) << listed;
    EXPECT_NE(listed.out.find("1 objection(s)"), std::string::npos) << listed;
    EXPECT_NE(listed.out.find(pseudonym.substr(0, 16)), std::string::npos) << listed;

    const Transfer second = transfer("after-objection");
    EXPECT_EQ(second.objected, 1u);
    EXPECT_EQ(second.sealed + 1, first.sealed);
    EXPECT_FALSE(second.emails.contains(email)) << "the objecting trainee reached the Region";
    EXPECT_FALSE(second.pseudonyms.contains(pseudonym));

    // Another purpose is not affected: the objection is per purpose.
    const auto stats = passerelle({"transfer", "--config", inst_.config.string(), "--job", "statistics", "--json"},
                                  "transfer.statistics");
    ASSERT_EQ(stats.exitCode, 0) << stats;
    const auto statsSummary = parseJson(stats.out);
    EXPECT_EQ(statsSummary->optValue<std::uint64_t>("objected", 999), 0u) << stats;
    const std::string statsBatch = statsSummary->optValue<std::string>("batch_id", "");

    const auto removed = objections("remove", {"--local-id", localId, "--purpose", kSurveyPurpose});
    ASSERT_EQ(removed.exitCode, 0) << removed;
    const Transfer third = transfer("after-removal");
    EXPECT_EQ(third.objected, 0u);
    EXPECT_EQ(third.sealed, first.sealed);
    EXPECT_TRUE(third.emails.contains(email)) << "the trainee is sent again once the objection is withdrawn";

    // subject lists exactly the batches that carried the trainee.
    const auto after = subject(localId);
    EXPECT_EQ(surveyPseudonymOf(after), pseudonym) << "stable across runs";
    EXPECT_EQ(batchIdsOf(after), (std::set<std::string>{first.batchId, statsBatch, third.batchId}))
        << "every batch that carried the trainee, in either domain, and only those";

    // The ledger has each change and each look-up, without the id, the e-mail or the pseudonym.
    const std::string ledger = readFile(inst_.stateDir() / "ledger.db") + readFile(inst_.stateDir() / "ledger.db-wal");
    for (const char* operation : {"objection-added", "objection-removed", "records-withheld", "subject-lookup"}) {
        EXPECT_NE(ledger.find(operation), std::string::npos) << "no " << operation << " in the ledger";
    }
    EXPECT_NE(ledger.find("GDPR art. 21"), std::string::npos);
    EXPECT_EQ(ledger.find(localId), std::string::npos) << "the ledger holds the trainee's local id";
    EXPECT_EQ(ledger.find(email), std::string::npos) << "the ledger holds the trainee's e-mail";
    EXPECT_EQ(ledger.find(pseudonym), std::string::npos) << "the ledger holds the trainee's pseudonym";
    const auto audit = passerelle({"audit", "verify", "--config", inst_.config.string()}, "audit");
    EXPECT_EQ(audit.exitCode, 0) << audit;
}

TEST_F(ObjectionsTest, AnObjectionRecordedBeforeAPseudonymKeyRotationStillWithholdsTheTrainee) {
    const Transfer first = transfer("epoch-1");
    ASSERT_GE(first.emails.size(), 2u);
    const std::string email = *first.emails.begin();
    const std::string localId = localIdOf(email);
    const std::string otherEmail = *std::next(first.emails.begin());
    const std::string otherId = localIdOf(otherEmail);
    const std::string epoch1Pseudonym = surveyPseudonymOf(subject(localId));
    ASSERT_TRUE(epoch1Pseudonym.starts_with("1:")) << epoch1Pseudonym;
    for (const std::string& id : {localId, otherId}) {
        const auto added = objections("add", {"--local-id", id, "--purpose", kSurveyPurpose});
        ASSERT_EQ(added.exitCode, 0) << added;
    }

    const auto rotated = rotatePseudonymKey();
    ASSERT_EQ(rotated.exitCode, 0) << rotated;

    // Both objections are of epoch 1: still recognised, and withdrawn, under the retired key.
    const auto repeated = objections("add", {"--local-id", otherId, "--purpose", kSurveyPurpose});
    EXPECT_EQ(repeated.exitCode, 0) << repeated;
    EXPECT_NE(repeated.out.find("already recorded"), std::string::npos) << repeated;
    EXPECT_NE(repeated.out.find("older pseudonym key epoch"), std::string::npos) << repeated;
    const auto removed = objections("remove", {"--local-id", otherId, "--purpose", kSurveyPurpose});
    EXPECT_EQ(removed.exitCode, 0) << removed;
    EXPECT_NE(removed.out.find("objection removed"), std::string::npos) << removed;
    const auto listedBefore = objections("list", {});
    EXPECT_NE(listedBefore.out.find("1 objection(s)"), std::string::npos) << listedBefore;
    EXPECT_NE(listedBefore.out.find("1 of them under an older pseudonym key epoch"), std::string::npos)
        << listedBefore;

    // Every pseudonym changed, yet the objecting trainee is withheld; the objection moves to epoch 2.
    const Transfer second = transfer("epoch-2");
    EXPECT_EQ(second.objected, 1u);
    EXPECT_EQ(second.rekeyed, 1u);
    EXPECT_EQ(second.sealed + 1, first.sealed);
    EXPECT_FALSE(second.emails.contains(email))
        << "the objecting trainee reached the Region after the rotation";
    EXPECT_TRUE(second.emails.contains(otherEmail)) << "the withdrawn objection still withheld a trainee";
    for (const std::string& p : second.pseudonyms) EXPECT_TRUE(p.starts_with("2:")) << p;
    EXPECT_NE(ledgerBytes().find("objections-rekeyed"), std::string::npos)
        << "no objections-rekeyed in the ledger";

    const auto stats =
        passerelle({"transfer", "--config", inst_.config.string(), "--job", "statistics", "--json"},
                   "transfer.statistics");
    ASSERT_EQ(stats.exitCode, 0) << stats;
    const std::string statsBatch = parseJson(stats.out)->optValue<std::string>("batch_id", "");

    // The access request finds the batches from both sides of the rotation, and names the epochs.
    const auto answer = subject(localId);
    EXPECT_EQ(batchIdsOf(answer), (std::set<std::string>{first.batchId, statsBatch}));
    EXPECT_EQ(answer->getArray("pseudonyms")->size(), 4u) << "two domains, two key epochs";
    EXPECT_EQ(surveyPseudonymOf(answer, 1), epoch1Pseudonym);
    const std::string epoch2Pseudonym = surveyPseudonymOf(answer, 2);
    EXPECT_TRUE(epoch2Pseudonym.starts_with("2:")) << epoch2Pseudonym;
    EXPECT_EQ(surveyPseudonymOf(answer), epoch2Pseudonym) << "the current epoch is listed first";
    const auto listed = objections("list", {});
    EXPECT_NE(listed.out.find("1 objection(s)"), std::string::npos) << listed;
    EXPECT_NE(listed.out.find(epoch2Pseudonym.substr(0, 16)), std::string::npos)
        << "moved to epoch 2: " << listed;

    // Once moved, the objection no longer needs the retired key.
    fs::rename(inst_.keysDir() / "previous-pseudonym" / "1.key", root() / "1.key.aside");
    const Transfer third = transfer("without-epoch-1-key");
    EXPECT_EQ(third.objected, 1u);
    EXPECT_EQ(third.rekeyed, 0u);
    EXPECT_FALSE(third.emails.contains(email));

    const std::string ledger = ledgerBytes();
    for (const std::string& identifier : {localId, email, epoch1Pseudonym, epoch2Pseudonym}) {
        EXPECT_EQ(ledger.find(identifier), std::string::npos)
            << "the ledger holds an identifier of the trainee";
    }
    const auto audit = passerelle({"audit", "verify", "--config", inst_.config.string()}, "audit");
    EXPECT_EQ(audit.exitCode, 0) << audit;
}

TEST_F(ObjectionsTest, AnObjectionWhoseKeyEpochIsNoLongerHeldStopsTheBatch) {
    const Transfer first = transfer("epoch-1");
    ASSERT_FALSE(first.emails.empty());
    const std::string email = *first.emails.begin();
    const std::string localId = localIdOf(email);
    ASSERT_EQ(objections("add", {"--local-id", localId, "--purpose", kSurveyPurpose}).exitCode, 0);
    ASSERT_EQ(rotatePseudonymKey().exitCode, 0);
    const fs::path retired = inst_.keysDir() / "previous-pseudonym" / "1.key";
    fs::rename(retired, root() / "1.key.aside");  // the operator deleted the retired key

    const auto refused = passerelle(
        {"transfer", "--config", inst_.config.string(), "--job", "survey-contact"}, "transfer.without-key");
    EXPECT_EQ(refused.exitCode, 3) << refused;
    EXPECT_NE(refused.err.find("pseudonym key epoch 1"), std::string::npos) << refused;
    EXPECT_NE(refused.err.find(std::string("purpose '") + kSurveyPurpose + "'"), std::string::npos)
        << refused;
    EXPECT_NE(refused.err.find(retired.string()), std::string::npos) << refused;
    EXPECT_EQ(refused.err.find(localId), std::string::npos) << refused;
    EXPECT_EQ(sinkBatchFiles().size(), 1u) << "nothing may be sent while an objection cannot be checked";

    fs::rename(root() / "1.key.aside", retired);  // restored from backup
    const Transfer restored = transfer("key-restored");
    EXPECT_EQ(restored.objected, 1u);
    EXPECT_EQ(restored.rekeyed, 1u);
    EXPECT_FALSE(restored.emails.contains(email));
}

TEST_F(ObjectionsTest, AnUnknownTraineeOrAWrongJobIsAClearError) {
    const auto unknown = objections("add", {"--local-id", "99999999", "--purpose", kSurveyPurpose});
    EXPECT_EQ(unknown.exitCode, 1) << unknown;
    EXPECT_NE(unknown.err.find("no valid record with the local id given"), std::string::npos) << unknown;
    EXPECT_EQ((unknown.out + unknown.err).find("99999999"), std::string::npos) << "the id is echoed: " << unknown;

    const auto wrongJob =
        objections("add", {"--local-id", "20000001", "--purpose", kSurveyPurpose, "--job", "statistics"});
    EXPECT_EQ(wrongJob.exitCode, 2) << wrongJob;
    EXPECT_NE(wrongJob.err.find("job 'statistics' is for purpose 'region-statistics'"), std::string::npos)
        << wrongJob;

    const auto both = objections("add", {"--local-id", "20000001", "--ine", "123456789AB", "--purpose", kSurveyPurpose});
    EXPECT_EQ(both.exitCode, 2) << both;

    const auto lookup = passerelle({"subject", "--config", inst_.config.string(), "--local-id", "99999999"},
                                   "subject.unknown");
    EXPECT_EQ(lookup.exitCode, 1) << lookup;
    EXPECT_NE(lookup.err.find("no valid record"), std::string::npos) << lookup;
    // An access request names a person: neither its local id nor its INE is echoed back.
    EXPECT_EQ((lookup.out + lookup.err).find("99999999"), std::string::npos) << "the id is echoed: " << lookup;
    const auto byIne = passerelle({"subject", "--config", inst_.config.string(), "--ine", "0123456789X"},
                                  "subject.unknown-ine");
    EXPECT_EQ(byIne.exitCode, 1) << byIne;
    EXPECT_NE(byIne.err.find("no valid record with the INE given"), std::string::npos) << byIne;
    EXPECT_EQ((byIne.out + byIne.err).find("0123456789X"), std::string::npos) << "the INE is echoed: " << byIne;
    EXPECT_TRUE(objections("list", {}).out.starts_with("0 objection(s)"));
}

}  // namespace
}  // namespace passerelle::integration
