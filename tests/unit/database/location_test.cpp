// Where the state lives, as the configuration and migrate-store say it, and what
// messages show of it: never a password.

#include "database/database.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace passerelle::db {
namespace {

namespace fs = std::filesystem;

TEST(Location, ReadsSqliteAndPostgresqlAndRefusesTheRest) {
    const Location file = Location::parse("sqlite:state/state.db", "/etc/passerelle");
    EXPECT_EQ(file.engine, Engine::SQLite);
    EXPECT_EQ(file.target, "/etc/passerelle/state/state.db") << "a relative file is taken from the base folder";
    EXPECT_EQ(Location::parse("sqlite:/var/lib/p/state.db", "/etc").target, "/var/lib/p/state.db");

    const Location pg = Location::parse("postgresql:host=db.example dbname=passerelle user=gw1");
    EXPECT_EQ(pg.engine, Engine::PostgreSQL);
    EXPECT_EQ(pg.target, "host=db.example dbname=passerelle user=gw1");
    EXPECT_EQ(pg.text(), "postgresql:host=db.example dbname=passerelle user=gw1");

    EXPECT_THROW(Location::parse("sqlite:"), std::invalid_argument);
    EXPECT_THROW(Location::parse("postgresql:"), std::invalid_argument);
    EXPECT_THROW(Location::parse("mysql:host=x"), std::invalid_argument);
    try {
        Location::parse("postgresql://gw1:s3cret@db.example/passerelle");
        FAIL() << "a URI must be refused: Poco's connector cannot read it";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("keyword=value"), std::string::npos) << e.what();
    }
}

TEST(Location, MessagesNeverShowThePassword) {
    EXPECT_EQ(maskPassword("host=db password=s3cret user=gw"), "host=db password=*** user=gw");
    EXPECT_EQ(maskPassword("host=db password = 'it\\'s a secret' user=gw"), "host=db password = *** user=gw");
    EXPECT_EQ(maskPassword("postgresql://gw:s3cret@db/p?password=other"), "postgresql://gw:***@db/p?password=***");
    EXPECT_EQ(maskPassword("host=db user=gw"), "host=db user=gw");
    const Location pg{Engine::PostgreSQL, "host=db password=s3cret"};
    EXPECT_EQ(pg.display().find("s3cret"), std::string::npos) << pg.display();
}

class PasswordFile : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-pw-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    // The password file, mode 0600 unless told otherwise.
    fs::path write(const std::string& content, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
        const fs::path file = dir_ / "password";
        std::ofstream(file) << content;
        fs::permissions(file, mode);
        return file;
    }
    fs::path dir_;
};

TEST_F(PasswordFile, ItsFirstLineIsAddedQuotedToTheConninfo) {
    const Location pg{Engine::PostgreSQL, "host=db user=gw"};
    EXPECT_EQ(withPasswordFrom(pg, write("it's\\x\nsecond line ignored\n")).target,
              "host=db user=gw password='it\\'s\\\\x'");
}

TEST_F(PasswordFile, APasswordWithASpaceOrAnUnreadableFileIsRefusedWithoutShowingIt) {
    const Location pg{Engine::PostgreSQL, "host=db user=gw"};
    try {
        withPasswordFrom(pg, write("two words\n"));
        FAIL() << "Poco's connector splits the conninfo at spaces";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("words"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("~/.pgpass"), std::string::npos) << e.what();
    }
    EXPECT_THROW(withPasswordFrom(pg, dir_ / "missing"), std::invalid_argument);
}

TEST_F(PasswordFile, AFileOpenToGroupOrOthersIsRefusedNamingItAndTheFix) {
    const Location pg{Engine::PostgreSQL, "host=db user=gw"};
    using fs::perms;
    for (const perms mode : {perms::owner_read | perms::owner_write | perms::group_read | perms::others_read,
                             perms::owner_read | perms::group_read, perms::owner_read | perms::others_write}) {
        const fs::path file = write("s3cret-Pass\n", mode);
        try {
            withPasswordFrom(pg, file);
            ADD_FAILURE() << "mode " << std::oct << static_cast<unsigned>(mode) << " must be refused";
        } catch (const std::invalid_argument& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("run chmod 600 " + file.string()), std::string::npos) << message;
            EXPECT_NE(message.find("group or others"), std::string::npos) << message;
            EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
        }
        fs::remove(file);
    }
    EXPECT_NO_THROW(withPasswordFrom(pg, write("s3cret\n", fs::perms::owner_read)));
}

TEST(Database, PlaceholdersAreNumberedOutsideQuotedTextAndEmptyBytesAreWrittenOut) {
    const std::string text = "SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = ? AND e = ? LIMIT ?";
    const Values params{"b", Value::bytes(std::string_view()), Value::bytes("e"), 10};
    const PreparedText pg = prepareText(text, params, Engine::PostgreSQL);
    EXPECT_EQ(pg.sql, "SELECT a FROM t WHERE b = $1 AND c = '?' AND \"d?\" = '\\x'::bytea AND e = $2 LIMIT $3");
    EXPECT_EQ(pg.bound, (std::vector<std::size_t>{0, 2, 3}));
    const PreparedText lite = prepareText(text, params, Engine::SQLite);
    EXPECT_EQ(lite.sql, "SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = X'' AND e = ? LIMIT ?");
    EXPECT_EQ(lite.bound, pg.bound);
    EXPECT_EQ(prepareText("SELECT 1", {}, Engine::PostgreSQL).sql, "SELECT 1");
    EXPECT_THROW(prepareText("SELECT ?", {1, 2}, Engine::SQLite), std::logic_error);
}

TEST(Database, AdvisoryLockKeysAreStableNonNegativeAndDistinct) {
    EXPECT_EQ(Database::lockKey("job survey"), Database::lockKey("job survey"));
    EXPECT_NE(Database::lockKey("job survey"), Database::lockKey("job other"));
    for (const char* name : {"", "job a", "inbox 0123456789abcdef", "passerelle schema migrations"}) {
        EXPECT_GE(Database::lockKey(name), 0) << name;
    }
}

}  // namespace
}  // namespace passerelle::db
