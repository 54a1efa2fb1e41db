#pragma once
// A sender (france-travail), a recipient (region) and an outsider, plus tools to
// tamper with a sealed batch and, when needed, re-sign its manifest so that a
// deeper check (not the digest) is the one that fires.

#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/batch_errors.h"
#include "privacy/batch_reader.h"
#include "privacy/batch_writer.h"
#include "privacy/payload_format.h"
#include "privacy/sha256.h"
#include "test_support.h"

namespace passerelle::privacy::testing {

class BatchFixture : public ::testing::Test {
protected:
    TempDir tmp;
    PartyKeys sender = makeParty(tmp, "france-travail");
    PartyKeys recipient = makeParty(tmp, "region");
    PartyKeys outsider = makeParty(tmp, "outsider");
    const std::vector<std::string> fields{"id", "last_name", "email", "note"};

    SenderKeyLookup lookup() const {
        return [this](const std::string& name) -> SignPublicKey {
            if (name == "france-travail") {
                return sender.publicKeys().sign;
            }
            throw KeyError("unknown sender " + name);
        };
    }

    Manifest draft() const {
        Manifest m;
        m.batchId = newBatchId();
        m.sender = "france-travail";
        m.recipient = "region";
        m.purpose = "region-survey-contact";
        m.fields = fields;
        m.createdAt = "2026-11-29T08:36:38Z";
        return m;
    }

    static std::vector<std::string> recordOf(std::size_t i) {
        std::string id = "id-" + std::to_string(i);
        std::string name = i % 7 == 0 ? std::string() : "Dupont-\xc3\xa9l\xc3\xa8ve " + std::to_string(i);
        std::string email = "person" + std::to_string(i) + "@example.org";
        std::string note = i % 3 == 0 ? std::string() : std::string(i % 200, 'x');
        return {id, name, email, note};
    }

    std::filesystem::path writeBatch(std::size_t n, const std::string& name = "batch",
                                     const PartyKeys* to = nullptr) {
        const auto dir = tmp / name;
        Manifest d = draft();
        if (to != nullptr) {
            d.recipient = to->publicKeys().party;
        }
        BatchWriter w(dir, d, sender, (to ? *to : recipient).publicKeys().box);
        for (std::size_t i = 0; i < n; ++i) {
            const auto rec = recordOf(i);
            const std::string_view views[] = {rec[0], rec[1], rec[2], rec[3]};
            w.addRecord(views);
        }
        w.finish();
        return dir;
    }

    // Reads everything; returns the problem raised, or nullopt if the batch opened cleanly.
    std::optional<BatchProblem> problemOpening(const std::filesystem::path& dir, const PartyKeys& as,
                                               std::string* message = nullptr) {
        try {
            BatchReader r(dir, as, lookup());
            std::vector<std::string> values;
            while (r.next(values)) {
            }
        } catch (const BatchFormatError& e) {
            if (message) {
                *message = e.what();
            }
            return e.problem();
        }
        return std::nullopt;
    }

    // Rewrites manifest.json/.sig after `edit`, with the digest of the current
    // payload.bin, signed by `signer` (the legitimate sender by default).
    void resign(const std::filesystem::path& dir, const std::function<void(Manifest&)>& edit,
                const PartyKeys* signer = nullptr) {
        const auto bytes = readFile(dir / "manifest.json");
        Manifest m = Manifest::parse(std::string(bytes.begin(), bytes.end()));
        Sha256 h;
        h.update(readFile(dir / "payload.bin"));
        m.payloadDigest = "sha256:" + toHex(h.finish());
        edit(m);
        const std::string json = m.canonicalJson();
        const auto sig = (signer ? *signer : sender).sign(asBytes(json));
        writeFile(dir / "manifest.json", std::vector<std::uint8_t>(json.begin(), json.end()));
        writeFile(dir / "manifest.sig", std::vector<std::uint8_t>(sig.begin(), sig.end()));
    }

    // Byte offsets [start, end) of each chunk (length prefix included) in payload.bin.
    static std::vector<std::pair<std::size_t, std::size_t>> chunks(const std::vector<std::uint8_t>& payload) {
        std::vector<std::pair<std::size_t, std::size_t>> out;
        std::size_t pos = payload::kPreambleBytes;
        while (pos + 4 <= payload.size()) {
            const std::size_t end = pos + 4 + payload::getLe32(payload.data() + pos);
            out.emplace_back(pos, end);
            pos = end;
        }
        return out;
    }
};

}  // namespace passerelle::privacy::testing
