// ferry-gen-oneroster: writes a deterministic, synthetic OneRoster 1.1 bulk CSV export, for the
// integration, fault and benchmark tests. Every person in it is made up: names are drawn from a
// small list and numbered ("Avery Testperson-00042"), e-mails end in example.invalid, phone
// numbers are in the 555-01xx range reserved for fiction.
//
//   ferry-gen-oneroster --out DIR --users N [--enrollments-per-user K] [--seed S]
//                       [--change-percent P --base-seed S0]
//
// Each value is a pure function of (seed, row number), so the files stream with bounded memory
// (one output buffer) and a million users take seconds. With --change-percent the export is the
// one --base-seed S0 makes, except that about P% of the users (chosen by --seed) have a different
// givenName: a variant for change-detection tests.
//
// A few names carry a comma or a double quote so that readers must honour RFC 4180 quoting.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "Usage: ferry-gen-oneroster --out DIR --users N [--enrollments-per-user K] [--seed S]\n"
    "                           [--change-percent P --base-seed S0]\n"
    "Writes a synthetic OneRoster 1.1 bulk CSV export (manifest.csv, orgs, academicSessions,\n"
    "courses, classes, users, enrollments, demographics) to DIR.\n";

// Long enough (7+ letters) that a name is unlikely to turn up by chance inside base64 text.
constexpr std::string_view kGivenNames[] = {
    "Abernathy", "Beatrice",   "Cornelius", "Dorothea",  "Evangeline", "Fitzgerald", "Gwendolyn",
    "Horatio",   "Isadora",    "Jebediah",  "Kassandra", "Lysander",   "Marigold",   "Nathaniel",
    "Ophelia",   "Percival",   "Quintessa", "Roderick",  "Seraphina",  "Thaddeus",   "Ursuline",
    "Valentina", "Wilhelmina", "Xenophon",  "Yolandine", "Zebulon"};
constexpr std::size_t kGivenCount = std::size(kGivenNames);
constexpr std::string_view kMiddleNames[] = {"Quillon", "Marlowe", "Everett", "Juniper"};
constexpr std::string_view kSubjects[] = {"Mathematics",       "Language Arts", "Science",
                                          "Social Studies",    "Art",           "Music",
                                          "Physical Education"};

struct Options {
  fs::path out;
  std::uint64_t users = 0;
  std::uint64_t enrollments_per_user = 5;
  std::uint64_t seed = 1;
  std::optional<double> change_percent;
  std::optional<std::uint64_t> base_seed;
};

// SplitMix64: a counter-based generator, so value i of a file costs nothing to recompute.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t draw(std::uint64_t seed, std::uint64_t row, std::uint64_t salt) {
  return mix(mix(seed ^ (salt * 0xd1b54a32d192ed03ull)) ^ row);
}

// A CSV file written through one buffer, renamed into place when complete.
class CsvFile {
 public:
  CsvFile(const fs::path& dir, std::string_view name)
      : final_(dir / name), temp_(dir / (std::string(name) + ".tmp")) {
    file_ = std::fopen(temp_.c_str(), "wb");
    if (file_ == nullptr) {
      throw std::system_error(errno, std::generic_category(), "cannot create " + temp_.string());
    }
  }
  ~CsvFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  // One field; quoted (RFC 4180) when it holds a comma, a quote or a line break.
  CsvFile& field(std::string_view value) {
    if (!first_) buffer_.push_back(',');
    first_ = false;
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
      buffer_.append(value);
      return *this;
    }
    buffer_.push_back('"');
    for (char c : value) {
      if (c == '"') buffer_.push_back('"');
      buffer_.push_back(c);
    }
    buffer_.push_back('"');
    return *this;
  }

  template <typename... Args>
  CsvFile& fieldf(fmt::format_string<Args...> format, Args&&... args) {
    scratch_.clear();
    fmt::format_to(std::back_inserter(scratch_), format, std::forward<Args>(args)...);
    return field(std::string_view(scratch_.data(), scratch_.size()));
  }

  CsvFile& end_row() {
    buffer_.append(std::string_view("\r\n"));
    first_ = true;
    ++rows_;
    if (buffer_.size() >= kFlushAt) flush();
    return *this;
  }

  // Header and rows written: flushes, closes and renames the file into place.
  std::uint64_t close() {
    flush();
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      throw std::system_error(errno, std::generic_category(), "cannot write " + temp_.string());
    }
    file_ = nullptr;
    fs::rename(temp_, final_);
    return rows_ - 1;  // the header is not a record
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 20;

  void flush() {
    if (buffer_.size() > 0 &&
        std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      throw std::system_error(errno, std::generic_category(), "cannot write " + temp_.string());
    }
    buffer_.clear();
  }

  fs::path final_;
  fs::path temp_;
  std::FILE* file_ = nullptr;
  fmt::memory_buffer buffer_;
  fmt::memory_buffer scratch_;
  bool first_ = true;
  std::uint64_t rows_ = 0;
};

// The shape of the export, derived from the user count.
struct Shape {
  std::uint64_t users = 0;
  std::uint64_t per_user = 0;
  std::uint64_t schools = 0;
  std::uint64_t courses_per_school = 0;
  std::uint64_t classes = 0;  // class j belongs to school j % schools

  explicit Shape(const Options& options)
      : users(options.users), per_user(options.enrollments_per_user) {
    schools = std::clamp<std::uint64_t>(users / 1000, 1, 999);
    courses_per_school = 2 * std::size(kSubjects);
    // About 25 seats per class; at least one class per school.
    classes = std::max<std::uint64_t>(users * std::max<std::uint64_t>(per_user, 1) / 25, schools);
  }

  std::uint64_t school_of_user(std::uint64_t user) const { return user % schools; }
  std::uint64_t classes_in_school(std::uint64_t school) const {
    return classes / schools + (school < classes % schools ? 1 : 0);
  }
};

std::string school_id(std::uint64_t school) { return fmt::format("o-sch-{:03d}", school + 1); }
std::string course_id(std::uint64_t school, std::uint64_t course) {
  return fmt::format("crs-{:03d}-{:02d}", school + 1, course + 1);
}
std::string class_id(std::uint64_t cls) { return fmt::format("c-{:07d}", cls + 1); }

bool is_teacher(std::uint64_t user) { return user % 15 == 0; }
// Grades 01 to 12 for students.
std::uint64_t grade_of(std::uint64_t seed, std::uint64_t user) {
  return draw(seed, user, 3) % 12 + 1;
}

void write_orgs(const fs::path& dir, const Shape& shape) {
  CsvFile csv(dir, "orgs.csv");
  for (auto name : {"sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                    "parentSourcedId"}) {
    csv.field(name);
  }
  csv.end_row();
  csv.field("o-district").field("").field("").field("Synthetic Unified District").field("district");
  csv.field("D0001").field("").end_row();
  for (std::uint64_t s = 0; s < shape.schools; ++s) {
    csv.field(school_id(s)).field("").field("");
    csv.fieldf("Synthetic School No. {}, Testville", s + 1);  // a comma: quoted
    csv.field("school").fieldf("S{:04d}", s + 1).field("o-district").end_row();
  }
  csv.close();
}

void write_sessions(const fs::path& dir) {
  CsvFile csv(dir, "academicSessions.csv");
  for (auto name : {"sourcedId", "status", "dateLastModified", "title", "type", "startDate",
                    "endDate", "parentSourcedId", "schoolYear"}) {
    csv.field(name);
  }
  csv.end_row();
  csv.field("as-2026").field("").field("").field("School Year 2026-27").field("schoolYear");
  csv.field("2026-08-24").field("2027-06-18").field("").field("2027").end_row();
  csv.field("as-2026-t1").field("").field("").field("Fall 2026").field("term");
  csv.field("2026-08-24").field("2027-01-15").field("as-2026").field("2027").end_row();
  csv.field("as-2026-t2").field("").field("").field("Spring 2027").field("term");
  csv.field("2027-01-18").field("2027-06-18").field("as-2026").field("2027").end_row();
  csv.close();
}

void write_courses(const fs::path& dir, const Shape& shape) {
  CsvFile csv(dir, "courses.csv");
  for (auto name : {"sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
                    "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"}) {
    csv.field(name);
  }
  csv.end_row();
  for (std::uint64_t s = 0; s < shape.schools; ++s) {
    for (std::uint64_t c = 0; c < shape.courses_per_school; ++c) {
      const auto subject = kSubjects[c % std::size(kSubjects)];
      csv.field(course_id(s, c)).field("").field("").field("as-2026");
      csv.fieldf("{} {}", subject, c / std::size(kSubjects) + 1);
      csv.fieldf("{:.4}{}", subject, c + 1).field("").field(school_id(s)).field(subject);
      csv.fieldf("SUB{:02d}", c % std::size(kSubjects)).end_row();
    }
  }
  csv.close();
}

void write_classes(const fs::path& dir, const Shape& shape) {
  CsvFile csv(dir, "classes.csv");
  for (auto name : {"sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
                    "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
                    "subjects", "subjectCodes", "periods"}) {
    csv.field(name);
  }
  csv.end_row();
  for (std::uint64_t j = 0; j < shape.classes; ++j) {
    const std::uint64_t school = j % shape.schools;
    const std::uint64_t course = (j / shape.schools) % shape.courses_per_school;
    const auto subject = kSubjects[course % std::size(kSubjects)];
    csv.field(class_id(j)).field("").field("").fieldf("{} - Section {}", subject, j + 1);
    csv.field("").field(course_id(school, course)).fieldf("CL{:07d}", j + 1).field("scheduled");
    csv.fieldf("Room {}", 100 + j % 60).field(school_id(school)).field("as-2026-t1,as-2026-t2");
    csv.field(subject).fieldf("SUB{:02d}", course % std::size(kSubjects));
    csv.fieldf("{}", j % 8 + 1).end_row();
  }
  csv.close();
}

// The given name of a user, before and after a change.
std::string given_name(const Options& options, std::uint64_t base_seed, std::uint64_t user,
                       bool* changed) {
  std::uint64_t pick = draw(base_seed, user, 1) % kGivenCount;
  if (options.change_percent) {
    // Exact to 1e-6 of a percent; which users change depends on --seed only.
    const std::uint64_t roll = draw(options.seed, user, 99) % 100'000'000;
    if (static_cast<double>(roll) < *options.change_percent * 1'000'000.0) {
      pick = (pick + 1 + draw(options.seed, user, 98) % (kGivenCount - 1)) % kGivenCount;
      *changed = true;
    }
  }
  std::string name(kGivenNames[pick]);
  // A nickname in quotes now and then: the field must be quoted, its quotes doubled.
  if (user % 17 == 5) name += fmt::format(" \"{:.3}\"", kGivenNames[pick]);
  return name;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::uint64_t write_users(const fs::path& dir, const Options& options, const Shape& shape,
                          std::uint64_t base_seed) {
  CsvFile csv(dir, "users.csv");
  for (auto name :
       {"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
        "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
        "sms", "phone", "agentSourcedIds", "grades", "password"}) {
    csv.field(name);
  }
  csv.end_row();
  std::uint64_t changed_count = 0;
  for (std::uint64_t i = 1; i <= shape.users; ++i) {
    bool changed = false;
    const std::string given = given_name(options, base_seed, i, &changed);
    if (changed) ++changed_count;
    const std::string_view plain_given = kGivenNames[draw(base_seed, i, 1) % kGivenCount];
    std::string family = fmt::format("Testperson-{:05d}", i);
    if (i % 13 == 7) family += ", Jr.";  // a comma: quoted
    const std::string username = lower(fmt::format("{}.testperson{:05d}", plain_given, i));
    const bool teacher = is_teacher(i);

    csv.fieldf("u-{:08d}", i).field("").field("").field("true");
    csv.field(school_id(shape.school_of_user(i))).field(teacher ? "teacher" : "student");
    csv.field(username).fieldf("{{LDAP:{:08d}}}", i).field(given).field(family);
    csv.field(i % 5 == 0 ? kMiddleNames[draw(base_seed, i, 2) % std::size(kMiddleNames)] : "");
    csv.fieldf("{}{:07d}", teacher ? 'T' : 'S', i).fieldf("{}@example.invalid", username);
    csv.field(i % 3 == 0 ? fmt::format("555-01{:02d}", i % 100) : "");
    csv.fieldf("555-01{:02d}", (i * 7) % 100).field("");
    csv.field(teacher ? std::string() : fmt::format("{:02d}", grade_of(base_seed, i)));
    csv.fieldf("not-a-password-{:x}", draw(base_seed, i, 4) & 0xffffff).end_row();
  }
  csv.close();
  return changed_count;
}

std::uint64_t write_enrollments(const fs::path& dir, const Shape& shape, std::uint64_t base_seed) {
  CsvFile csv(dir, "enrollments.csv");
  for (auto name : {"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                    "userSourcedId", "role", "primary", "beginDate", "endDate"}) {
    csv.field(name);
  }
  csv.end_row();
  for (std::uint64_t i = 1; i <= shape.users; ++i) {
    const std::uint64_t school = shape.school_of_user(i);
    const std::uint64_t in_school = shape.classes_in_school(school);
    const bool teacher = is_teacher(i);
    for (std::uint64_t k = 1; k <= shape.per_user; ++k) {
      const std::uint64_t cls =
          school + shape.schools * (draw(base_seed, i * 64 + k, 5) % in_school);
      csv.fieldf("e-{:08d}-{}", i, k).field("").field("").field(class_id(cls));
      csv.field(school_id(school)).fieldf("u-{:08d}", i).field(teacher ? "teacher" : "student");
      csv.field(teacher && k == 1 ? "true" : "false").field("2026-08-24").field("2027-06-18");
      csv.end_row();
    }
  }
  return csv.close();
}

void write_demographics(const fs::path& dir, const Shape& shape, std::uint64_t base_seed) {
  CsvFile csv(dir, "demographics.csv");
  for (auto name :
       {"sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
        "cityOfBirth", "publicSchoolResidenceStatus"}) {
    csv.field(name);
  }
  csv.end_row();
  constexpr std::string_view kSexes[] = {"female", "male", "other", "unspecified"};
  for (std::uint64_t i = 1; i <= shape.users; ++i) {
    const std::uint64_t r = draw(base_seed, i, 6);
    const std::uint64_t year =
        is_teacher(i) ? 1960 + r % 40 : 2020 - grade_of(base_seed, i) - (r >> 8) % 2;
    csv.fieldf("u-{:08d}", i).field("").field("");
    csv.fieldf("{}-{:02d}-{:02d}", year, (r >> 16) % 12 + 1, (r >> 24) % 28 + 1);
    csv.field(kSexes[(r >> 32) % std::size(kSexes)]);
    const std::uint64_t race = (r >> 36) % 6;
    for (std::uint64_t flag = 0; flag < 6; ++flag) csv.field(flag == race ? "true" : "false");
    csv.field((r >> 40) % 5 == 0 ? "true" : "false").field("ZZ").field("ZZ");
    csv.field("Testville, Nowhere").field("").end_row();
  }
  csv.close();
}

void write_manifest(const fs::path& dir) {
  CsvFile csv(dir, "manifest.csv");
  csv.field("propertyName").field("value").end_row();
  csv.field("manifest.version").field("1.0").end_row();
  csv.field("oneroster.version").field("1.1").end_row();
  const std::pair<std::string_view, bool> files[] = {{"academicSessions", true},
                                                     {"categories", false},
                                                     {"classes", true},
                                                     {"classResources", false},
                                                     {"courses", true},
                                                     {"courseResources", false},
                                                     {"demographics", true},
                                                     {"enrollments", true},
                                                     {"lineItems", false},
                                                     {"orgs", true},
                                                     {"resources", false},
                                                     {"results", false},
                                                     {"users", true}};
  for (const auto& [name, written] : files) {
    csv.fieldf("file.{}", name).field(written ? "bulk" : "absent").end_row();
  }
  csv.field("source.systemName").field("ferry-gen-oneroster").end_row();
  csv.field("source.systemCode").field("synthetic").end_row();
  csv.close();
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// Returns nullopt after printing the problem.
std::optional<Options> parse_args(int argc, char** argv) {
  Options options;
  bool have_users = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      fmt::print("{}", kUsage);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "ferry-gen-oneroster: {} needs a value\n{}", arg, kUsage);
      return std::nullopt;
    }
    const std::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--out") {
      options.out = fs::path(value);
    } else if (arg == "--users") {
      ok = parse_number(value, options.users) && options.users > 0;
      have_users = true;
    } else if (arg == "--enrollments-per-user") {
      ok = parse_number(value, options.enrollments_per_user) && options.enrollments_per_user <= 60;
    } else if (arg == "--seed") {
      ok = parse_number(value, options.seed);
    } else if (arg == "--base-seed") {
      std::uint64_t seed = 0;
      ok = parse_number(value, seed);
      options.base_seed = seed;
    } else if (arg == "--change-percent") {
      double percent = 0;
      ok = parse_number(value, percent) && percent >= 0 && percent <= 100;
      options.change_percent = percent;
    } else {
      fmt::print(stderr, "ferry-gen-oneroster: unknown option '{}'\n{}", arg, kUsage);
      return std::nullopt;
    }
    if (!ok) {
      fmt::print(stderr, "ferry-gen-oneroster: bad value '{}' for {}\n", value, arg);
      return std::nullopt;
    }
  }
  if (options.out.empty() || !have_users) {
    fmt::print(stderr, "ferry-gen-oneroster: --out and --users are required\n{}", kUsage);
    return std::nullopt;
  }
  if (options.change_percent.has_value() != options.base_seed.has_value()) {
    fmt::print(stderr,
               "ferry-gen-oneroster: --change-percent and --base-seed go together (the variant "
               "of the export --base-seed makes)\n");
    return std::nullopt;
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_args(argc, argv);
  if (!options) return 2;
  try {
    fs::create_directories(options->out);
    const Shape shape(*options);
    const std::uint64_t base_seed = options->base_seed.value_or(options->seed);
    write_orgs(options->out, shape);
    write_sessions(options->out);
    write_courses(options->out, shape);
    write_classes(options->out, shape);
    const std::uint64_t changed = write_users(options->out, *options, shape, base_seed);
    const std::uint64_t enrollments = write_enrollments(options->out, shape, base_seed);
    write_demographics(options->out, shape, base_seed);
    write_manifest(options->out);  // last: an export is complete once its manifest is there
    fmt::print("wrote {} users, {} enrollments, {} classes, {} schools to {}", shape.users,
               enrollments, shape.classes, shape.schools, options->out.string());
    if (options->change_percent) fmt::print(" ({} users changed)", changed);
    fmt::print("\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "ferry-gen-oneroster: {}\n", e.what());
    return 1;
  }
  return 0;
}
