#!/usr/bin/env python3
"""Generate a realistic class record for kyso render (docs/records.md).

usage: mkclass.py transcript|gradebook N OUT.json [--seed S] [--with HOCBA.json]

transcript: N students of class 12A3 with the school year 2025-2026;
gradebook:  the same class's Toán marks for semester 1, whose averages are
            the transcripts' Toán semester 1 marks.
Names, birth dates, personal identification numbers and marks are drawn
from a seeded generator (the same arguments give the same file); averages,
conduct and learning results follow Circular 22/2021/TT-BGDĐT, so the
record passes kyso's checks.  --with puts the student of a one-student
transcript first (her last school year), so the samples agree."""
import json
import random
import re
import sys

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Khánh", "Bảo", "Hồng", "Phương", "Quỳnh"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quốc", "Gia", "Hoàng", "Hữu", "Thành", "Tuấn", "Việt"]
GIVEN_F = ["An", "Anh", "Châu", "Giang", "Hà", "Hạnh", "Hoa", "Huyền", "Lan", "Linh", "Mai",
           "Ngân", "Ngọc", "Nhung", "Quỳnh", "Thảo", "Trang", "Uyên", "Vy", "Yến", "Hương"]
GIVEN_M = ["Bình", "Dũng", "Dương", "Hải", "Hiếu", "Hùng", "Khoa", "Long", "Minh", "Nam",
           "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Trí", "Tú", "Tuấn", "Việt", "Đạt", "Khôi"]
PLACES = ["Hà Nội", "Hải Phòng", "Nam Định", "Thái Bình", "Hưng Yên", "Bắc Ninh",
          "Thanh Hóa", "Nghệ An", "Hải Dương", "Vĩnh Phúc"]
SCORED = ["Toán", "Ngữ văn", "Tiếng Anh", "Vật lí", "Hóa học", "Sinh học", "Lịch sử",
          "Địa lí", "GDCD", "Tin học", "Công nghệ"]
COMMENTED = ["GDTC"]
COMMENTS = [
    "Ngoan, lễ phép, chăm chỉ học tập; tích cực tham gia các hoạt động của lớp.",
    "Có ý thức tự học tốt, tiến bộ rõ trong học kỳ II. Cần mạnh dạn phát biểu hơn.",
    "Học đều các môn, hòa đồng với bạn bè. Cần chú ý hơn đến môn Ngữ văn.",
    "Năng động, nhiệt tình trong công tác lớp; cần tập trung hơn trong giờ học.",
    "Chăm ngoan, có tinh thần giúp đỡ bạn bè; kết quả học tập ổn định.",
    "Tư duy tốt ở các môn tự nhiên; cần rèn thêm kỹ năng trình bày.",
]
SCHOOL = {
    "authority": "Sở Giáo dục và Đào tạo Hà Nội",
    "name": "Trường THPT Nguyễn Trãi - Ba Đình",
    "code": "01000123",
    "address": "50 phố Nam Cao, phường Giảng Võ, thành phố Hà Nội",
    "level": "Trung học phổ thông",
}


def half_up(num, den):
    """num/den rounded half up (integers, tenths)."""
    return (2 * num + den) // (2 * den)


def tenth(rng, mu, sd, lo=0, hi=100):
    return max(lo, min(hi, int(round(rng.gauss(mu, sd)))))


def learning(year_marks, passed):
    """Circular 22 art. 13 (simplified to year averages)."""
    if not passed:
        return "Chưa đạt"
    if all(m >= 65 for m in year_marks) and sum(m >= 80 for m in year_marks) >= 6:
        return "Tốt"
    if all(m >= 50 for m in year_marks) and sum(m >= 65 for m in year_marks) >= 6:
        return "Khá"
    if sum(m < 50 for m in year_marks) <= 1 and all(m >= 35 for m in year_marks):
        return "Đạt"
    return "Chưa đạt"


def person(rng, i):
    female = rng.random() < 0.5
    name = " ".join([rng.choice(FAMILY), rng.choice(MIDDLE_F if female else MIDDLE_M),
                     rng.choice(GIVEN_F if female else GIVEN_M)])
    born = f"2008-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    # 12 digits: province 001 (Hà Nội), century-and-sex digit, year, serial.
    pid = f"001{3 if female else 2}08{rng.randint(0, 999999):06d}"
    return {"code": f"01012{i:05d}", "name": name, "birth_date": born,
            "gender": "Nữ" if female else "Nam", "pid": pid}


def year_record(rng, ability):
    scores, marks = {}, []
    for s in SCORED:
        a = tenth(rng, ability, 8, 30, 100)
        b = tenth(rng, ability + 2, 8, 30, 100)
        y = half_up(a + 2 * b, 3)
        marks.append(y)
        scores[s] = {"hk1": a / 10, "hk2": b / 10, "year": y / 10}
    for s in COMMENTED:
        scores[s] = {"hk1": "Đ", "hk2": "Đ", "year": "Đ"}
    res = learning(marks, True)
    conduct = "Tốt" if rng.random() < 0.8 else "Khá"
    return scores, res, conduct


def class_list(seed, n, first):
    """The same pupils, in the same order, for both kinds of record."""
    rng = random.Random(seed)
    people = []
    if first is not None:
        people.append(dict(first, pid=first["personal_id"]))
    i = 0
    while len(people) < n:
        i += 1
        people.append(person(rng, i))
    return people


def transcript(rng, people, first):
    students = []
    if first is not None:
        students.append(first)
    for p in people[len(students):]:
        ability = rng.uniform(55, 90)
        scores, res, conduct = year_record(rng, ability)
        students.append({
            "code": p["code"], "name": p["name"], "birth_date": p["birth_date"],
            "gender": p["gender"], "birth_place": rng.choice(PLACES), "ethnicity": "Kinh",
            "personal_id": p["pid"],
            "years": [{
                "school_year": "2025-2026", "class": "12A3", "homeroom_teacher": "Trần Thị Mai",
                "scores": scores,
                "conduct": {"hk1": conduct, "hk2": conduct, "year": conduct},
                "learning": {"hk1": res, "hk2": res, "year": res},
                "absences": rng.randint(0, 6),
                "result": "Hoàn thành chương trình trung học phổ thông",
                "comment": rng.choice(COMMENTS),
            }],
        })
    return {"version": 1, "kind": "transcript", "school": SCHOOL, "principal": "Lê Quang Hưng",
            "place": "Hà Nội", "date": "2026-05-30", "students": students}


def gradebook(rng, people, first, targets):
    """Marks whose semester average is the transcript's Toán hk1."""
    students = []
    for full, target in zip(people, targets):
        p = {key: full[key] for key in ("code", "name", "birth_date")}
        while True:
            tx = [max(10, min(100, int(round((target + rng.randint(-12, 12)) / 10)) * 10))
                  for _ in range(4)]
            gk = max(0, min(100, target + rng.randint(-6, 6)))
            ck = (9 * target - sum(tx) - 2 * gk + 1) // 3
            if 0 <= ck <= 100 and half_up(sum(tx) + 2 * gk + 3 * ck, 9) == target:
                break
        students.append(dict(p, regular=[t / 10 for t in tx], midterm=gk / 10, final=ck / 10,
                             average=target / 10))
    return {"version": 1, "kind": "gradebook", "school": SCHOOL, "principal": "Lê Quang Hưng",
            "place": "Hà Nội", "date": "2026-01-16", "class": "12A3",
            "school_year": "2025-2026", "term": 1, "subject": "Toán",
            "teacher": "Đỗ Minh Tuấn", "homeroom_teacher": "Trần Thị Mai", "students": students}


def compact(obj):
    """Indented JSON with short objects of plain values on one line."""
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    pat = re.compile(r'\{\n\s*((?:"[^"\n]*": (?:"[^"\n]*"|[-0-9.]+|null),?\n\s*)+)\}')

    def one(m):
        inner = re.sub(r",\n\s*", ", ", m.group(1).strip())
        return m.group(0) if len(inner) > 100 else "{" + inner + "}"
    text = pat.sub(one, text)
    return re.sub(r'\[\n\s*((?:[-0-9.]+,\n\s*)*[-0-9.]+)\n\s*\]',
                  lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text)


def main():
    args = sys.argv[1:]
    seed, first = 2026, None
    if "--seed" in args:
        k = args.index("--seed")
        seed = int(args[k + 1])
        del args[k:k + 2]
    if "--with" in args:
        k = args.index("--with")
        src = json.load(open(args[k + 1], encoding="utf-8"))["students"][0]
        first = dict(src, years=src["years"][-1:])
        del args[k:k + 2]
    if len(args) != 3 or args[0] not in ("transcript", "gradebook"):
        sys.exit(__doc__)
    kind, n, out = args[0], int(args[1]), args[2]
    people = class_list(seed, n, first)
    rec = transcript(random.Random(seed + 1), people, first)
    if kind == "gradebook":
        targets = [round(st["years"][-1]["scores"]["Toán"]["hk1"] * 10) for st in rec["students"]]
        rec = gradebook(random.Random(seed + 2), people, first, targets)
    with open(out, "w", encoding="utf-8") as f:
        f.write(compact(rec) + "\n")


if __name__ == "__main__":
    main()
