// source.csv, loaded from the built plugin and fed synthetic files.

#include <cstdlib>

#include "plugin_test_support.h"

namespace passerelle::plugin::test {
namespace {

TEST(SourceCsv, ReadsUtf8WithBomSemicolonsQuotesAndCrlf) {
    TempDir dir;
    const Drained d = drainFile(dir,
                                "\xEF\xBB\xBF"
                                " nom ;pr\xC3\xA9nom;note\r\n"
                                "Trainee-A;\"Alpha; \"\"AA\"\"\";\"first\r\nsecond\"\r\n"
                                "Trainee-B;Zo\xC3\xA9;12\r\n");
    EXPECT_EQ(d.columns, (Row{"nom", "pr\xC3\xA9nom", "note"}));
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(d.rows[0], (Row{"Trainee-A", "Alpha; \"AA\"", "first\r\nsecond"}));
    EXPECT_EQ(d.rows[1], (Row{"Trainee-B", "Zo\xC3\xA9", "12"}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{2, 4}));
}

TEST(SourceCsv, DetectsCommaAndReadsLfWithoutFinalNewline) {
    TempDir dir;
    const Drained d = drainFile(dir, "a,b,c\n1,\"x,y\",\n,,3");
    EXPECT_EQ(d.columns, (Row{"a", "b", "c"}));
    ASSERT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(d.rows[0], (Row{"1", "x,y", ""}));
    EXPECT_EQ(d.rows[1], (Row{"", "", "3"}));
}

TEST(SourceCsv, ExplicitTabDelimiterAndNoHeader) {
    TempDir dir;
    const Drained d = drainFile(dir, "1\t2\n3\t4\n", {{"delimiter", "tab"}, {"header", "false"}});
    EXPECT_EQ(d.columns, (Row{"column1", "column2"}));
    ASSERT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(d.rows[0], (Row{"1", "2"}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 2}));
}

TEST(SourceCsv, QuoteInsideAnUnquotedFieldIsText) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\n5\" screen;x\n");
    ASSERT_EQ(d.rows.size(), 1u);
    EXPECT_EQ(d.rows[0], (Row{"5\" screen", "x"}));
}

TEST(SourceCsv, TranscodesWindows1252) {
    TempDir dir;
    const Drained d =
        drainFile(dir, "ville;prix\r\nCaf\xE9;\x80 5 \x9C\x85\r\n", {{"encoding", "windows-1252"}});
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), 1u);
    EXPECT_EQ(d.rows[0], (Row{"Caf\xC3\xA9", "\xE2\x82\xAC 5 \xC5\x93\xE2\x80\xA6"}));
}

TEST(SourceCsv, TranscodesIso8859_15) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\n\xA4;\xBD\xE9\n", {{"encoding", "iso-8859-15"}});
    ASSERT_EQ(d.rows.size(), 1u);
    EXPECT_EQ(d.rows[0], (Row{"\xE2\x82\xAC", "\xC5\x93\xC3\xA9"}));
}

TEST(SourceCsv, UndefinedWindows1252ByteIsARowError) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\nx;\x81\ny;z\n", {{"encoding", "windows-1252"}});
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_EQ(d.errors[0].column, 2u);
    EXPECT_EQ(d.rows.size(), 1u);
}

// 0x81 is one of the five bytes Windows-1252 leaves undefined; the reader checks
// a plain row while transcoding it and a quoted one before splitting it.
TEST(SourceCsv, UndefinedWindows1252ByteNamesLineAndColumnOnEveryPath) {
    TempDir dir;
    const Drained d = drainFile(dir,
                                "a;b;c\r\n"
                                "Secret\x81plain;b;c\r\n"
                                "ok1;\"quoted Secret\x81\";c\r\n"
                                "ok2;\"multi\r\nline\";Secret \xE9\x81\r\n"
                                "Caf\xE9;\x80;\"\x9C\"\r\n",
                                {{"encoding", "windows-1252"}});
    ASSERT_EQ(d.errors.size(), 3u);
    const std::uint64_t lines[] = {2, 3, 5};
    const std::uint64_t columns[] = {1, 2, 3};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(d.errors[i].line, lines[i]);
        EXPECT_EQ(d.errors[i].column, columns[i]);
        const std::string where = "line " + std::to_string(lines[i]) + ", column " + std::to_string(columns[i]) +
                                  ": a byte that windows-1252 does not define";
        EXPECT_NE(d.errors[i].message.find(where), std::string::npos) << d.errors[i].message;
        EXPECT_EQ(d.errors[i].message.find("Secret"), std::string::npos) << d.errors[i].message;
    }
    EXPECT_EQ(d.rows, (std::vector<Row>{{"Caf\xC3\xA9", "\xE2\x82\xAC", "\xC5\x93"}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{6}));
}

// A file saved as Latin-1 and read as UTF-8: a lone 0xE9 (é) is not UTF-8.
TEST(SourceCsv, StrayLatin1ByteInAUtf8FileIsARowErrorAndReadingGoesOn) {
    TempDir dir;
    const Drained d = drainFile(dir,
                                "nom;ville;note\n"
                                "Trainee-A;SecretCaf\xE9;1\n"
                                "Trainee-B;Albi;2\n"
                                "Trainee-C;Secret\xE9\x80x;3\n"
                                "Trainee-D;SecretCaf\xE9");  // at the very end of the file
    ASSERT_EQ(d.errors.size(), 3u);
    const std::uint64_t lines[] = {2, 4, 5};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(d.errors[i].line, lines[i]);
        EXPECT_EQ(d.errors[i].column, 2u);
        EXPECT_EQ(d.errors[i].message.rfind("line " + std::to_string(lines[i]) +
                                                ", column 2: the text is not valid UTF-8; if the file was saved "
                                                "in a legacy charset, set encoding to windows-1252",
                                            0),
                  0u)
            << d.errors[i].message;
        EXPECT_EQ(d.errors[i].message.find("Secret"), std::string::npos);
    }
    EXPECT_EQ(d.rows, (std::vector<Row>{{"Trainee-B", "Albi", "2"}}));
}

TEST(SourceCsv, WrongCellCountIsARowErrorAndReadingGoesOn) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\n1;2\n3\n4;5;6\n7;8\n");
    ASSERT_EQ(d.errors.size(), 2u);
    EXPECT_EQ(d.errors[0].line, 3u);
    EXPECT_EQ(d.errors[0].message, "line 3 has 1 fields, the header has 2");
    EXPECT_EQ(d.errors[1].message, "line 4 has 3 fields, the header has 2");
    EXPECT_EQ(d.rows, (std::vector<Row>{{"1", "2"}, {"7", "8"}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{2, 5}));
}

TEST(SourceCsv, InvalidUtf8NamesLineAndColumnNotTheText) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b;c\n1;SECRET\xFFVALUE;3\n4;\"multi\nli\xC3\";6\n7;8;9\n");
    ASSERT_EQ(d.errors.size(), 2u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_EQ(d.errors[0].column, 2u);
    EXPECT_NE(d.errors[0].message.find("line 2, column 2"), std::string::npos) << d.errors[0].message;
    EXPECT_NE(d.errors[0].message.find("encoding"), std::string::npos);
    EXPECT_EQ(d.errors[0].message.find("SECRET"), std::string::npos);
    EXPECT_EQ(d.errors[1].line, 4u);  // the bad byte is on the second line of the quoted field
    EXPECT_EQ(d.errors[1].column, 2u);
    EXPECT_EQ(d.rows, (std::vector<Row>{{"7", "8", "9"}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{5}));
}

TEST(SourceCsv, UnterminatedQuoteNamesTheLineWhereItOpened) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\n1;2\n3;\"open\n4;5\n6;7\n");
    EXPECT_EQ(d.rows, (std::vector<Row>{{"1", "2"}}));
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 3u);
    EXPECT_NE(d.errors[0].message.find("line 3"), std::string::npos) << d.errors[0].message;
    EXPECT_NE(d.errors[0].message.find("closing quote"), std::string::npos);
    EXPECT_NE(d.errors[0].message.find("lines 3 to 5 were not read"), std::string::npos) << d.errors[0].message;
    EXPECT_EQ(d.errors[0].message.find("4;5"), std::string::npos) << "no cell text: " << d.errors[0].message;
}

TEST(SourceCsv, UnterminatedQuoteOnTheLastLine) {
    TempDir dir;
    for (const char* last : {"3;\"Secret open", "3;\"Secret open\n", "3;\"Secret open\r\n"}) {
        const Drained d = drainFile(dir, std::string("a;b\n1;2\n") + last);
        EXPECT_EQ(d.rows, (std::vector<Row>{{"1", "2"}}));
        ASSERT_EQ(d.errors.size(), 1u);
        EXPECT_EQ(d.errors[0].line, 3u);
        EXPECT_EQ(d.errors[0].message,
                  "line 3: a quoted field opens on this line and its closing quote is missing before the end of "
                  "the file");
    }
}

// A stray quote in the middle of a file is closed by the next quote, which
// joins the lines in between to its row: one error names them all.
TEST(SourceCsv, StrayQuoteClosedByALaterQuoteNamesTheLinesItJoined) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\n1;\"Secret\n2;3\n4;\"x\"\n5;6\n");
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_EQ(d.errors[0].column, 2u);
    EXPECT_NE(d.errors[0].message.find("line 2, column 2: text follows the closing quote of a quoted field that "
                                       "runs to line 4"),
              std::string::npos)
        << d.errors[0].message;
    EXPECT_EQ(d.errors[0].message.find("Secret"), std::string::npos);
    EXPECT_EQ(d.rows, (std::vector<Row>{{"5", "6"}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{5}));
}

TEST(SourceCsv, TextAfterAClosingQuoteIsARowError) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\n\"x\"y;2\n3;4\n");
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_EQ(d.errors[0].column, 1u);
    EXPECT_EQ(d.rows, (std::vector<Row>{{"3", "4"}}));
}

TEST(SourceCsv, BlankLinesAreSkipped) {
    TempDir dir;
    const Drained d = drainFile(dir, "a;b\r\n\r\n1;2\r\n\r\n");
    EXPECT_TRUE(d.errors.empty());
    EXPECT_EQ(d.rows, (std::vector<Row>{{"1", "2"}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{3}));
}

TEST(SourceCsv, EmptyFileHasNoHeaderLine) {
    TempDir dir;
    for (const char* bytes : {"", "\xEF\xBB\xBF", "\r\n\n"}) {
        writeFile(dir / "empty.csv", bytes);
        try {
            csvSource()->open({{"path", (dir / "empty.csv").string()}});
            FAIL() << "an empty file opened";
        } catch (const PluginError& e) {
            EXPECT_NE(std::string(e.what()).find((dir / "empty.csv").string() + " has no header line"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(SourceCsv, AHeaderOnlyFileHasItsColumnsAndNoRows) {
    TempDir dir;
    for (const char* bytes : {"a;b", "a;b\n", "\xEF\xBB\xBF" "a;b\r\n", "a;b\r\n\r\n\n"}) {
        const Drained d = drainFile(dir, bytes);
        EXPECT_EQ(d.columns, (Row{"a", "b"})) << bytes;
        EXPECT_TRUE(d.rows.empty()) << bytes;
        EXPECT_TRUE(d.errors.empty()) << bytes;
    }
}

TEST(SourceCsv, MissingFileIsNamed) {
    TempDir dir;
    const std::string missing = (dir / "nowhere.csv").string();
    try {
        csvSource()->open({{"path", missing}});
        FAIL() << "a missing file opened";
    } catch (const PluginError& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    }
}

TEST(SourceCsv, BadSettingsAreRefusedByName) {
    TempDir dir;
    writeFile(dir / "x.csv", "a\n1\n");
    const std::string path = (dir / "x.csv").string();
    EXPECT_THROW(csvSource()->open({}), PluginError);
    try {
        csvSource()->open({{"path", path}, {"encodng", "utf-8"}});
        FAIL();
    } catch (const PluginError& e) {
        EXPECT_NE(std::string(e.what()).find("'encodng'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(csvSource()->open({{"path", path}, {"encoding", "ebcdic"}}), PluginError);
    EXPECT_THROW(csvSource()->open({{"path", path}, {"delimiter", "|"}}), PluginError);
}

TEST(SourceCsv, FieldsLargerThanTheReadBufferAndOverTheLimit) {
    TempDir dir;
    const std::string big(3u << 20, 'x');
    const std::string tooBig((16u << 20) + 1, 'y');
    std::string bytes = "a;b\n1;\"" + big + "\"\n2;" + tooBig + "\n3;" + big + "\n";
    const Drained d = drainFile(dir, bytes);
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 3u);
    EXPECT_EQ(d.errors[0].column, 2u);
    EXPECT_EQ(d.errors[0].message, "line 3, column 2: the field is longer than 16 MiB");
    ASSERT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(d.rows[0][1].size(), big.size());
    EXPECT_EQ(d.rows[1][1], big);
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{2, 4}));
}

// Ten megabytes in one field is within the 16 MiB field limit, quoted or not,
// in UTF-8 or in a single-byte charset (whose UTF-8 form is then longer).
TEST(SourceCsv, ATenMegabyteFieldIsReadWhole) {
    TempDir dir;
    std::string quoted(10'000'000, 'q');
    quoted.replace(4'999'999, 5, ";\r\n\"\"");  // a delimiter, a line break and a doubled quote inside
    const std::string plain(10'000'000, 'p');
    const Drained d = drainFile(dir, "a;b;c\r\n1;\"" + quoted + "\";x\r\n2;" + plain + ";y\r\n3;z;\"\"\r\n");
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), 3u);
    std::string unescaped = quoted;
    unescaped.replace(4'999'999, 5, ";\r\n\"");
    EXPECT_EQ(d.rows[0][1], unescaped);
    EXPECT_EQ(d.rows[1][1], plain);
    EXPECT_EQ(d.rows[2], (Row{"3", "z", ""}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{2, 4, 5}));

    const std::string accents(10'000'000, '\xE9');
    const Drained latin = drainFile(dir, "a;b\n1;" + accents + "\n2;\"" + accents + "\"\n",
                                    {{"encoding", "windows-1252"}});
    ASSERT_TRUE(latin.errors.empty()) << latin.errors[0].message;
    ASSERT_EQ(latin.rows.size(), 2u);
    for (const Row& row : latin.rows) {
        ASSERT_EQ(row[1].size(), 2 * accents.size());
        EXPECT_EQ(row[1].substr(0, 4), "\xC3\xA9\xC3\xA9");
    }
}

TEST(SourceCsv, RowsLongerThanTheBufferLimitAreSkippedToTheirEnd) {
    TempDir dir;
    std::string multiLine;
    for (int i = 0; i < 33; ++i) multiLine += std::string(1u << 20, 'm') + "\n";
    const std::string bytes =
        "a;b\n1;" + std::string(33u << 20, 'x') + "\n2;ok\n3;\"" + multiLine + "\"\n4;5\n";
    const Drained d = drainFile(dir, bytes);
    ASSERT_EQ(d.errors.size(), 2u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_NE(d.errors[0].message.find("longer than 32 MiB"), std::string::npos) << d.errors[0].message;
    EXPECT_EQ(d.errors[1].line, 4u);
    EXPECT_EQ(d.rows, (std::vector<Row>{{"2", "ok"}, {"4", "5"}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{3, 4 + 33 + 1}));
}

// The first read fills the 1 MiB buffer exactly: put a doubled quote, a
// closing quote and a CRLF on either side of that boundary.
TEST(SourceCsv, QuotesAndLineEndsSplitByTheReadBufferBoundary) {
    TempDir dir;
    const std::size_t boundary = std::size_t{1} << 20;
    for (int shift = -3; shift <= 3; ++shift) {
        const std::string header = "a;b;c\r\n";
        const std::string rowStart = "1;\"" + std::string(10, 'w');  // then "" or "; at the boundary
        const std::size_t fillerBytes = boundary - header.size() - rowStart.size() + shift - 1;
        const std::string filler = "0;0;" + std::string(fillerBytes - 6, 'z') + "\r\n";
        const std::string doubled = header + filler + rowStart + "\"\"tail\";end\r\n2;\"w\";x\r\n";
        Drained d = drainFile(dir, doubled);
        ASSERT_TRUE(d.errors.empty()) << shift << ": " << d.errors[0].message;
        ASSERT_EQ(d.rows.size(), 3u) << shift;
        EXPECT_EQ(d.rows[1], (Row{"1", std::string(10, 'w') + "\"tail", "end"})) << shift;
        EXPECT_EQ(d.rows[2], (Row{"2", "w", "x"})) << shift;
        EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{2, 3, 4})) << shift;

        const std::string closing = header + filler + rowStart + "\";end\r\n2;\"w\";x\r\n";
        d = drainFile(dir, closing);
        ASSERT_TRUE(d.errors.empty()) << shift << ": " << d.errors[0].message;
        ASSERT_EQ(d.rows.size(), 3u) << shift;
        EXPECT_EQ(d.rows[1], (Row{"1", std::string(10, 'w'), "end"})) << shift;
    }
}

TEST(SourceCsv, RowsCrossingReadBufferBoundariesKeepTheirContentAndLines) {
    TempDir dir;
    std::string bytes = "id;text;n\r\n";
    const int rows = 60000;  // ~3 MiB: several refills of the 1 MiB buffer
    for (int i = 0; i < rows; ++i) {
        bytes += std::to_string(i) + ";\"q\"\"" + std::to_string(i) + "\nnext;\";" +
                 std::string(i % 37, 'z') + "\r\n";
    }
    const Drained d = drainFile(dir, bytes);
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; i += 997) {
        EXPECT_EQ(d.rows[i][0], std::to_string(i));
        EXPECT_EQ(d.rows[i][1], "q\"" + std::to_string(i) + "\nnext;");
        EXPECT_EQ(d.rows[i][2], std::string(i % 37, 'z'));
        EXPECT_EQ(d.lines[i], static_cast<std::uint64_t>(2 + 2 * i));
    }
}

}  // namespace
}  // namespace passerelle::plugin::test
